import type { ContextRuntime } from "../platform/index.js";
import { createBackgroundPass } from "./background-pass.js";
import { attemptNotification } from "./notification-attempt.js";
import { NotificationOutcomes } from "./notification-outcomes.js";
import { BATCH, createNotificationStatements } from "./notification-statements.js";
import type { NotificationDatabase } from "./store.js";

/**
 * Sends queued notifications through the simulated e-mail channel: looks the customer up (customer context's
 * GetCustomer), renders the template, and hands the message to the channel, which puts it in the mailbox
 * (`/_sim/mailbox`) unless the `emailChannelDown` fault is on. Every attempt is recorded; a channel failure is
 * tried again on the schedule of notification-outcomes.ts, and the outcome is published as notification.sent or
 * notification.failed in the same transaction as the state it describes.
 */
export function createNotificationSender(runtime: ContextRuntime<NotificationDatabase>) {
  const { db, clock, log, tracing } = runtime;
  const statements = createNotificationStatements(db);
  const outcomes = new NotificationOutcomes(runtime, statements);

  const pass = async () => {
    for (;;) {
      const due = await statements.dueNotifications.execute(db, { now: clock.now().toISOString() });
      let progressed = false;
      for (const row of due) {
        const send = async () => {
          const outcome = await attemptNotification(runtime, row);
          // The customer context could not answer: the notification stays due and is tried when the clock moves.
          if (!outcome) return false;
          await outcomes.record(row, outcome);
          return true;
        };
        const attributes = { "ecom.notification_id": row.notification_id, "ecom.template": row.template_key };
        if (await (tracing ? tracing.inSpan("send email", { parent: row.traceparent, attributes }, send) : send()))
          progressed = true;
      }
      if (due.length < BATCH || !progressed) return;
    }
  };

  return createBackgroundPass("the notification sender", pass, log);
}

/** Sends queued notifications. */
export type NotificationSender = ReturnType<typeof createNotificationSender>;
