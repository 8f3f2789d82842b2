import type { EcomMessage } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, redactMessage } from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";
import type { WebhookTargets } from "./webhook-targets.js";

/**
 * Turns a published event into one PENDING delivery per active subscription to its type (from the in-memory index), in the subscriber's
 * transaction (so a redelivered event adds nothing: one delivery per subscription and event). The body is the
 * envelope as published, its redacted fields (a payment token) replaced, since partners are outside the platform;
 * the sender posts and signs exactly these bytes.
 */
export function createWebhookFanOut(runtime: ContextRuntime<NotificationDatabase>, targets: WebhookTargets) {
  const { ids, clock } = runtime;
  return {
    /** Queue deliveries of `message`; resolves to how many were queued. */
    async fanOut(trx: Transaction<NotificationDatabase>, message: EcomMessage): Promise<number> {
      const subscriptions = await targets.of(message.eventType, trx);
      // A dead-lettered delivery is not posted to the endpoint that failed it: that would only fail again, and feed
      // a new dead letter back to it every 52 minutes for as long as it stays down.
      const about =
        message.eventType === "ecommerce.notification.webhook_delivery.failed.v1"
          ? message.payload.subscriptionId
          : undefined;
      const due = subscriptions.filter((subscription) => subscription.subscription_id !== about);
      if (due.length === 0) return 0;
      const now = clock.now().toISOString();
      const body = JSON.stringify(redactMessage(message));
      await trx
        .insertInto("webhook_deliveries")
        .values(
          due.map((subscription) => ({
            delivery_id: ids.next("whd"),
            subscription_id: subscription.subscription_id,
            event_id: message.eventId,
            event_type: message.eventType,
            url: subscription.url,
            body,
            correlation_id: message.correlationId,
            status: "PENDING",
            attempt_count: 0,
            schedule_base: 0,
            next_attempt_at: now,
            first_attempt_at: null,
            created_at: now,
            updated_at: now,
            succeeded_at: null,
            failed_at: null,
          })),
        )
        .onConflict((conflict) => conflict.columns(["subscription_id", "event_id"]).doNothing())
        .execute();
      return due.length;
    },
  };
}

/** Queues webhook deliveries from events. */
export type WebhookFanOut = ReturnType<typeof createWebhookFanOut>;
