import type { MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";
import type { TemplateValue, TriggeredNotification } from "./templates.js";

/**
 * Queues notifications: one row per trigger (event or send command) and template, due at once. Runs inside the
 * subscriber's transaction, so a redelivered trigger finds its row and queues nothing more; the sender picks the
 * row up after commit.
 */
export function createNotificationQueue(runtime: ContextRuntime<NotificationDatabase>) {
  const { ids, clock } = runtime;

  const queue = async (
    trx: Transaction<NotificationDatabase>,
    trigger: { readonly eventId: string; readonly eventType: string; readonly correlationId: string },
    what: TriggeredNotification & { readonly channel: string },
  ): Promise<void> => {
    const now = clock.now().toISOString();
    await trx
      .insertInto("notifications")
      .values({
        notification_id: ids.next("ntf"),
        customer_id: what.customerId,
        template_key: what.templateKey,
        channel: what.channel,
        recipient: "",
        subject: null,
        status: "QUEUED",
        trigger_event_id: trigger.eventId,
        trigger_event_type: trigger.eventType,
        variables: JSON.stringify(what.variables),
        correlation_id: trigger.correlationId,
        attempt_count: 0,
        next_attempt_at: now,
        error_code: null,
        error_message: null,
        created_at: now,
        sent_at: null,
        failed_at: null,
        traceparent: runtime.tracing?.traceparent() ?? null,
      })
      .onConflict((conflict) => conflict.columns(["trigger_event_id", "template_key", "channel"]).doNothing())
      .execute();
  };

  return {
    /** Queue the e-mail an event sends to its customer. */
    fromEvent: (
      trx: Transaction<NotificationDatabase>,
      message: { readonly eventId: string; readonly eventType: string; readonly correlationId: string },
      what: TriggeredNotification,
    ) => queue(trx, message, { ...what, channel: "email" }),

    /** Queue what a send command asks for; an unknown template or missing variable fails at its first attempt. */
    fromCommand: (
      trx: Transaction<NotificationDatabase>,
      command: MessageOf<"ecommerce.notification.notification.send.v1">,
    ) =>
      queue(trx, command, {
        templateKey: command.payload.templateKey,
        customerId: command.payload.customerId,
        channel: command.payload.channel,
        variables: command.payload.variables as Record<string, TemplateValue>,
      }),
  };
}

/** Queues notifications from events and commands. */
export type NotificationQueue = ReturnType<typeof createNotificationQueue>;
