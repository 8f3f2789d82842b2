import type { ContextRuntime } from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";
import type { AttemptResult, WebhookAttempt } from "./webhook-post.js";
import { nextAttemptAfter } from "./webhook-rules.js";
import type { WebhookTargets } from "./webhook-targets.js";

/**
 * Record what an attempt came to, in one transaction: the attempt's row, and the delivery SUCCEEDED, RETRYING on
 * the schedule of webhook-rules.ts, or FAILED and dead-lettered with webhook_delivery.failed. A 410 says the
 * endpoint is gone: the subscription is deactivated (and dropped from `targets`, the fan-out's index) and the
 * delivery dead-lettered at once.
 */
export async function recordAttempt(
  runtime: ContextRuntime<NotificationDatabase>,
  targets: WebhookTargets,
  { subscription, delivery, attemptedAt }: WebhookAttempt,
  result: AttemptResult,
): Promise<void> {
  const { db, clock, outbox, log } = runtime;
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
}
