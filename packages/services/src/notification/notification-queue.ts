import type { MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, compileQuery, type Param } from "../platform/index.js";
import type { NotificationDatabase, NotificationTable } from "./store.js";
import { storedTriggerType } from "./stored-trigger.js";
import type { TemplateValue, TriggeredNotification } from "./templates.js";

/**
 * Queues notifications: one row per trigger (event or send command) and template, due at once. Runs inside the
 * subscriber's transaction, so a redelivered trigger finds its row and queues nothing more; the sender picks the
 * row up after commit.
 */
export function createNotificationQueue(runtime: ContextRuntime<NotificationDatabase>) {
  const { ids, clock } = runtime;
  // Run for every trigger: built and compiled once (see compileQuery).
  const insert = compileQuery((param: Param<NotificationTable>) =>
    runtime.db
      .insertInto("notifications")
      .values({
        notification_id: param("notification_id"),
        customer_id: param("customer_id"),
        template_key: param("template_key"),
        channel: param("channel"),
        recipient: param("recipient"),
        subject: param("subject"),
        status: param("status"),
        trigger_event_id: param("trigger_event_id"),
        trigger_event_type: param("trigger_event_type"),
        variables: param("variables"),
        correlation_id: param("correlation_id"),
        attempt_count: param("attempt_count"),
        next_attempt_at: param("next_attempt_at"),
        error_code: param("error_code"),
        error_message: param("error_message"),
        created_at: param("created_at"),
        sent_at: param("sent_at"),
        failed_at: param("failed_at"),
        traceparent: param("traceparent"),
      })
      .onConflict((conflict) => conflict.columns(["trigger_event_id", "template_key", "channel"]).doNothing()),
  );

  const queue = async (
    trx: Transaction<NotificationDatabase>,
    trigger: { readonly eventId: string; readonly eventType: string; readonly correlationId: string },
    what: TriggeredNotification & { readonly channel: string },
  ): Promise<void> => {
    const now = clock.now().toISOString();
    await insert.execute(trx, {
      notification_id: ids.next("ntf"),
      customer_id: what.customerId,
      template_key: what.templateKey,
      channel: what.channel,
      recipient: "",
      subject: null,
      status: "QUEUED",
      trigger_event_id: trigger.eventId,
      trigger_event_type: storedTriggerType(what.templateKey, trigger.eventType),
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
    });
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
