import type { Kysely } from "kysely";
import { compileQuery, type Param } from "../platform/index.js";
import type { MailboxTable, NotificationAttemptTable, NotificationDatabase } from "./store.js";

/** A sent notification's template variables: none kept (rows sent before keep theirs). */
export const SENT_VARIABLES = "{}";

/** The most due notifications one read of the sender takes. */
export const BATCH = 100;

/**
 * What the sender reads and what its attempts write: built and compiled once (see compileQuery), run with each
 * attempt's values. Only a failed attempt is stored; the one that sends is the SENT row's (notification-views.ts),
 * a statement fewer a notification.
 */
export function createNotificationStatements(db: Kysely<NotificationDatabase>) {
  return {
    dueNotifications: compileQuery((param: Param<{ now: string }>) =>
      db
        .selectFrom("notifications")
        .selectAll()
        .where("status", "=", "QUEUED")
        .where("next_attempt_at", "<=", param("now"))
        .orderBy("next_attempt_at")
        .orderBy("notification_id")
        .limit(BATCH),
    ),
    insertAttempt: compileQuery((param: Param<NotificationAttemptTable>) =>
      db.insertInto("notification_attempts").values({
        notification_id: param("notification_id"),
        attempt_number: param("attempt_number"),
        attempted_at: param("attempted_at"),
        status: param("status"),
        error_code: param("error_code"),
        provider_message_id: param("provider_message_id"),
      }),
    ),
    // The message's id, customer and subject follow from the notification (simulatedMessageId, the SENT row): not
    // stored again in the mailbox nor the attempt (~150 bytes a notification).
    insertMail: compileQuery((param: Param<Omit<MailboxTable, "message_id">>) =>
      db.insertInto("mailbox").values({
        notification_id: param("notification_id"),
        to_address: param("to_address"),
        body: param("body"),
        sent_at: param("sent_at"),
      }),
    ),
    // Only while the notification is QUEUED with the attempts this sender read: another sender (another process on
    // the store, or a pass that read the row before another's write committed) that recorded this attempt first
    // wins, and this one writes nothing (notification-outcomes.ts).
    markSent: compileQuery(
      (
        param: Param<{
          notificationId: string;
          recipient: string;
          subject: string | null;
          read: number;
          at: string;
        }>,
      ) =>
        db
          .updateTable("notifications")
          .set({
            recipient: param("recipient"),
            subject: param("subject"),
            status: "SENT",
            // The attempt after the count this sender read (the where below holds the row to that count).
            attempt_count: (eb) => eb("attempt_count", "+", 1),
            next_attempt_at: null,
            sent_at: param("at"),
            // Read only to render the message, which the mailbox now holds; a sent notification is never rendered
            // again, and no answer nor the canonical export shows them (~100 bytes a checkout).
            variables: SENT_VARIABLES,
          })
          .where("notification_id", "=", param("notificationId"))
          .where("status", "=", "QUEUED")
          .where("attempt_count", "=", param("read")),
    ),
  };
}

/** The notification sender's compiled statements. */
export type NotificationStatements = ReturnType<typeof createNotificationStatements>;
