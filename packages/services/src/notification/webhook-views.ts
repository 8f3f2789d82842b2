import type { notificationApi } from "@ecom/sdk";
import type { WebhookAttemptTable, WebhookDeliveryTable, WebhookSubscriptionTable } from "./store.js";

type Schemas = notificationApi.components["schemas"];

/** The most attempts a delivery shows (the contract's maxItems): the latest ones. */
const SHOWN_ATTEMPTS = 60;

/** A subscription as the contract shows it; the secret only when asked for (the answer to its creation). */
export function toSubscription(
  row: WebhookSubscriptionTable,
  eventTypes: readonly string[],
  options: { readonly withSecret?: boolean } = {},
): Schemas["WebhookSubscription"] {
  return {
    subscriptionId: row.subscription_id,
    url: row.url,
    eventTypes: [...eventTypes],
    ...(row.description !== null ? { description: row.description } : {}),
    active: row.active === 1,
    ...(row.deactivated_reason !== null
      ? { deactivatedReason: row.deactivated_reason as "by_admin" | "endpoint_gone" }
      : {}),
    ...(options.withSecret ? { secret: row.secret } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A delivery and its attempts (oldest first) as the contract shows it. */
export function toDelivery(
  row: WebhookDeliveryTable,
  attempts: readonly WebhookAttemptTable[],
): Schemas["WebhookDelivery"] {
  return {
    deliveryId: row.delivery_id,
    subscriptionId: row.subscription_id,
    eventId: row.event_id,
    eventType: row.event_type,
    url: row.url,
    status: row.status as Schemas["WebhookDeliveryStatus"],
    attemptCount: row.attempt_count,
    attempts: attempts.slice(-SHOWN_ATTEMPTS).map((attempt) => ({
      attemptNumber: attempt.attempt_number,
      attemptedAt: attempt.attempted_at,
      ...(attempt.response_status !== null ? { responseStatus: attempt.response_status } : {}),
      durationMs: attempt.duration_ms,
      ...(attempt.error !== null ? { error: attempt.error } : {}),
    })),
    ...(row.next_attempt_at !== null ? { nextAttemptAt: row.next_attempt_at } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.succeeded_at !== null ? { succeededAt: row.succeeded_at } : {}),
    ...(row.failed_at !== null ? { failedAt: row.failed_at } : {}),
  };
}
