import { signWebhook } from "@ecom/sdk";
import { type ContextRuntime, compileQuery, type Param } from "../platform/index.js";
import { createBackgroundPass } from "./background-pass.js";
import type { NotificationDatabase, WebhookDeliveryTable, WebhookSubscriptionTable } from "./store.js";
import { nextAttemptAfter } from "./webhook-rules.js";
import type { WebhookTargets } from "./webhook-targets.js";

type Runtime = ContextRuntime<NotificationDatabase>;

/** What one HTTP attempt came to. */
interface AttemptResult {
  readonly responseStatus?: number;
  readonly durationMs: number;
  /** Why it failed; absent on a 2xx. */
  readonly error?: string;
}

const UNFINISHED = ["PENDING", "RETRYING"] as const;

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
  runtime: Runtime,
  targets: WebhookTargets,
  options: { readonly timeoutMs: number },
) {
  const { db, clock, outbox, log, tracing } = runtime;
  const lanes = new Map<string, Promise<void>>();
  const inFlight = new Set<AbortController>();
  let stopped = false;

  const post = async (
    subscription: WebhookSubscriptionTable,
    delivery: WebhookDeliveryTable,
  ): Promise<AttemptResult> => {
    // webhook-timestamp is the wall clock of this attempt: receivers compare it with their own clock to refuse
    // replays, while the envelope inside keeps the platform's virtual times.
    const timestamp = Math.floor(Date.now() / 1000);
    const traceparent = tracing?.traceparent();
    const headers = {
      "content-type": "application/json",
      "user-agent": "ecom-webhooks/1",
      "correlation-id": delivery.correlation_id,
      // The partner's spans can join the event's trace.
      ...(traceparent ? { traceparent } : {}),
      ...signWebhook(subscription.secret, { id: delivery.event_id, timestamp, body: delivery.body }),
    };
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error("timeout")), options.timeoutMs);
    const started = performance.now();
    const took = () => Math.round(performance.now() - started);
    try {
      const response = await fetch(subscription.url, {
        method: "POST",
        headers,
        body: delivery.body,
        // A redirect is not an answer: the partner must register the URL that accepts the events.
        redirect: "manual",
        signal: controller.signal,
      });
      // The body is ignored, but read, so the connection can be reused.
      await response.arrayBuffer().catch(() => undefined);
      const ok = response.status >= 200 && response.status < 300;
      return {
        responseStatus: response.status,
        durationMs: took(),
        ...(ok ? {} : { error: `${response.status} ${response.statusText || "not a 2xx answer"}`.trim() }),
      };
    } catch (error) {
      if (controller.signal.aborted)
        return {
          durationMs: took(),
          error: stopped
            ? "The platform stopped during the attempt"
            : `No response within ${options.timeoutMs / 1000} s`,
        };
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return {
        durationMs: took(),
        error: `Could not reach the endpoint: ${cause?.code ?? cause?.message ?? String(error)}`.slice(0, 500),
      };
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  };

  const record = async (
    subscription: WebhookSubscriptionTable,
    delivery: WebhookDeliveryTable,
    attemptedAt: Date,
    result: AttemptResult,
  ) => {
    const attemptNumber = delivery.attempt_count + 1;
    const now = clock.now().toISOString();
    const gone = result.responseStatus === 410;
    const next =
      result.error === undefined || gone
        ? undefined
        : nextAttemptAfter(attemptNumber - delivery.schedule_base, attemptedAt);
    const status = result.error === undefined ? "SUCCEEDED" : next ? "RETRYING" : "FAILED";
    const firstAttemptAt = delivery.first_attempt_at ?? attemptedAt.toISOString();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("webhook_attempts")
        .values({
          delivery_id: delivery.delivery_id,
          attempt_number: attemptNumber,
          attempted_at: attemptedAt.toISOString(),
          response_status: result.responseStatus ?? null,
          duration_ms: result.durationMs,
          error: result.error?.slice(0, 500) ?? null,
        })
        .execute();
      await trx
        .updateTable("webhook_deliveries")
        .set({
          status,
          url: subscription.url,
          attempt_count: attemptNumber,
          next_attempt_at: next?.toISOString() ?? null,
          first_attempt_at: firstAttemptAt,
          updated_at: now,
          ...(status === "SUCCEEDED" ? { succeeded_at: now } : {}),
          ...(status === "FAILED" ? { failed_at: now } : {}),
        })
        .where("delivery_id", "=", delivery.delivery_id)
        .execute();
      if (gone)
        await trx
          .updateTable("webhook_subscriptions")
          .set({ active: 0, deactivated_reason: "endpoint_gone", updated_at: now })
          .where("subscription_id", "=", subscription.subscription_id)
          .execute();
      if (gone) targets.changed(trx);
      if (status !== "FAILED") return;
      await outbox.publish(
        trx,
        "ecommerce.notification.webhook_delivery.failed.v1",
        {
          deliveryId: delivery.delivery_id,
          subscriptionId: subscription.subscription_id,
          url: subscription.url,
          eventId: delivery.event_id,
          eventType: delivery.event_type,
          attemptCount: attemptNumber,
          ...(result.responseStatus !== undefined ? { lastResponseStatus: result.responseStatus } : {}),
          lastError: (result.error ?? "").slice(0, 500),
          firstAttemptAt,
          failedAt: now,
        },
        {
          partitionKey: subscription.subscription_id,
          correlationId: delivery.correlation_id,
          causationId: delivery.event_id,
        },
      );
    });
    if (attemptNumber > 1) runtime.metrics?.webhookRetryAttempted();
    if (status === "FAILED")
      log.warn("a webhook delivery was dead-lettered", { deliveryId: delivery.delivery_id, url: subscription.url });
  };

  /** Attempt the subscription's due deliveries one by one, until none is due or it stops being active. */
  const runLane = async (subscriptionId: string) => {
    while (!stopped) {
      const subscription = await db
        .selectFrom("webhook_subscriptions")
        .selectAll()
        .where("subscription_id", "=", subscriptionId)
        .where("active", "=", 1)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (!subscription) return;
      const attemptedAt = clock.now();
      const delivery = await db
        .selectFrom("webhook_deliveries")
        .selectAll()
        .where("subscription_id", "=", subscriptionId)
        .where("status", "in", UNFINISHED)
        .where("next_attempt_at", "<=", attemptedAt.toISOString())
        .orderBy("next_attempt_at")
        .orderBy("seq")
        .limit(1)
        .executeTakeFirst();
      if (!delivery) return;
      const result = tracing
        ? await tracing.inSpan(
            "send webhook",
            {
              parent: traceparentOf(delivery.body) ?? null,
              attributes: { "ecom.delivery_id": delivery.delivery_id, "messaging.message.id": delivery.event_id },
            },
            () => post(subscription, delivery),
          )
        : await post(subscription, delivery);
      if (stopped) return;
      await record(subscription, delivery, attemptedAt, result);
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

  // Every event kicks the scan: its statement is built and compiled once (compileQuery).
  const dueSubscriptions = compileQuery((param: Param<{ now: string }>) =>
    db
      .selectFrom("webhook_deliveries as deliveries")
      .innerJoin(
        "webhook_subscriptions as subscriptions",
        "subscriptions.subscription_id",
        "deliveries.subscription_id",
      )
      .select("deliveries.subscription_id")
      .distinct()
      .where("deliveries.status", "in", UNFINISHED)
      .where("deliveries.next_attempt_at", "<=", param("now"))
      .where("subscriptions.active", "=", 1)
      .where("subscriptions.deleted_at", "is", null),
  );

  /** Open a lane for every active subscription with a due delivery that has none yet. */
  const scan = createBackgroundPass(
    "the webhook sender",
    async () => {
      if (stopped) return;
      const due = await dueSubscriptions.execute(db, { now: clock.now().toISOString() });
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

/** The W3C traceparent of the publish span a delivered envelope names, if it names one. */
function traceparentOf(body: string): string | undefined {
  const { traceId, spanId } = JSON.parse(body) as { traceId?: string; spanId?: string };
  return traceId && spanId ? `00-${traceId}-${spanId}-01` : undefined;
}
