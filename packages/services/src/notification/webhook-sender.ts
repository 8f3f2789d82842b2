import type { ContextRuntime } from "../platform/index.js";
import { createBackgroundPass } from "./background-pass.js";
import { createDueWebhookReads } from "./due-webhooks.js";
import type { NotificationDatabase } from "./store.js";
import { recordAttempt } from "./webhook-attempt-writes.js";
import { sendWebhook, type WebhookPosting } from "./webhook-post.js";
import type { WebhookTargets } from "./webhook-targets.js";

/**
 * Posts due webhook deliveries over HTTP, signed per Standard Webhooks with the subscription's secret (the SDK's
 * signer). Each subscription has its own lane: one attempt at a time, its deliveries in the order they fell due
 * (and, among those due together, the order their events were published), so a slow or dead endpoint delays only
 * itself, never another subscriber or the event pipeline. A 2xx within `timeoutMs` succeeds; anything else is
 * retried on the schedule of webhook-rules.ts, then dead-lettered with
 * `ecommerce.notification.webhook_delivery.failed.v1`. A 410 says the endpoint is gone: the subscription is
 * deactivated (and dropped from `targets`, the fan-out's index) and the delivery dead-lettered at once.
 */
export function createWebhookSender(
  runtime: ContextRuntime<NotificationDatabase>,
  targets: WebhookTargets,
  options: { readonly timeoutMs: number },
) {
  const { db, clock, log } = runtime;
  const reads = createDueWebhookReads(db);
  const lanes = new Map<string, Promise<void>>();
  const inFlight = new Set<AbortController>();
  let stopped = false;
  const posting: WebhookPosting = {
    timeoutMs: options.timeoutMs,
    tracing: runtime.tracing,
    inFlight,
    stopping: () => stopped,
  };

  /** Attempt the subscription's due deliveries one by one, until none is due or it stops being active. */
  const runLane = async (subscriptionId: string) => {
    while (!stopped) {
      const subscription = await reads.activeSubscription(subscriptionId);
      if (!subscription) return;
      const attemptedAt = clock.now();
      const delivery = await reads.nextDelivery(subscriptionId, attemptedAt.toISOString());
      if (!delivery) return;
      const attempt = { subscription, delivery, attemptedAt };
      const result = await sendWebhook(posting, attempt);
      if (stopped) return;
      await recordAttempt(runtime, targets, attempt, result);
    }
  };

  const startLane = (subscriptionId: string) => {
    const lane = runLane(subscriptionId)
      .catch((error) => log.error("a webhook lane failed", { subscriptionId, error: String(error) }))
      .finally(() => {
        lanes.delete(subscriptionId);
        // Something may have fallen due for it while the lane was finishing: look again.
        scan.kick();
      });
    lanes.set(subscriptionId, lane);
  };

  /** Open a lane for every active subscription with a due delivery that has none yet. */
  const scan = createBackgroundPass(
    "the webhook sender",
    async () => {
      if (stopped) return;
      const due = await reads.subscriptionsDue.execute(db, { now: clock.now().toISOString() });
      for (const { subscription_id } of due) if (!lanes.has(subscription_id)) startLane(subscription_id);
    },
    log,
  );

  return {
    /** Look for due deliveries now (new events, the clock moved, a redelivery). */
    kick: () => scan.kick(),
    /** Resolves when no lane is running and nothing due is left unlooked at. */
    async idle(): Promise<void> {
      for (;;) {
        await scan.idle();
        if (lanes.size === 0) return;
        await Promise.all(lanes.values());
      }
    },
    /** Abort attempts under way and start no more (the platform is closing); unfinished deliveries resume on start. */
    async stop(): Promise<void> {
      stopped = true;
      for (const controller of inFlight) controller.abort(new Error("stopped"));
      await scan.stop();
      await Promise.all(lanes.values());
    },
  };
}

/** Posts webhook deliveries. */
export type WebhookSender = ReturnType<typeof createWebhookSender>;
