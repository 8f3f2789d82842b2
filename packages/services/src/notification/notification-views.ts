import type { notificationApi } from "@ecom/sdk";
import type { NotificationAttemptTable, NotificationTable } from "./store.js";
import { triggerTypeOf } from "./stored-trigger.js";

type Schemas = notificationApi.components["schemas"];
type Notification = Schemas["Notification"];
type ErrorCode = NonNullable<Schemas["NotificationAttempt"]["errorCode"]>;

/**
 * The id the simulated e-mail channel gives the message of `notificationId`. A notification hands over one message
 * at most (its one SUCCEEDED attempt), so the id follows from the notification's and is not stored; messages sent
 * before migration 0006 keep the id they were given.
 */
export function simulatedMessageId(notificationId: string): string {
  return `sim-email-${notificationId.slice(notificationId.indexOf("_") + 1).toLowerCase()}`;
}

/** The id of the message a SUCCEEDED attempt handed over; none for a FAILED one. */
function providerMessageIdOf(attempt: NotificationAttemptTable): string | null {
  if (attempt.provider_message_id !== null) return attempt.provider_message_id;
  return attempt.status === "SUCCEEDED" ? simulatedMessageId(attempt.notification_id) : null;
}

/**
 * A notification's attempts, oldest first: those stored, and for a SENT notification whose successful attempt is not
 * among them its last, written from the row (the attempt that sent it is numbered `attempt_count` and made at
 * `sent_at`): only failed attempts are stored, and notifications sent by earlier versions keep their stored success.
 */
function attemptsOf(
  row: NotificationTable,
  stored: readonly NotificationAttemptTable[],
): readonly NotificationAttemptTable[] {
  if (row.status !== "SENT" || row.sent_at === null || stored.some((attempt) => attempt.status === "SUCCEEDED"))
    return stored;
  const sent: NotificationAttemptTable = {
    notification_id: row.notification_id,
    attempt_number: row.attempt_count,
    attempted_at: row.sent_at,
    status: "SUCCEEDED",
    error_code: null,
    provider_message_id: null,
  };
  return [...stored, sent];
}

/** A notification row and its stored attempts (oldest first) as the contract shows it. */
export function toNotification(row: NotificationTable, stored: readonly NotificationAttemptTable[]): Notification {
  const attempts = attemptsOf(row, stored);
  return {
    notificationId: row.notification_id,
    customerId: row.customer_id,
    templateKey: row.template_key,
    channel: row.channel as Notification["channel"],
    recipient: row.recipient,
    ...(row.subject !== null ? { subject: row.subject } : {}),
    status: row.status as Notification["status"],
    trigger: { eventId: row.trigger_event_id, eventType: triggerTypeOf(row) },
    attemptCount: row.attempt_count,
    attempts: attempts.map((attempt) => {
      const providerMessageId = providerMessageIdOf(attempt);
      return {
        attemptNumber: attempt.attempt_number,
        attemptedAt: attempt.attempted_at,
        status: attempt.status as "SUCCEEDED" | "FAILED",
        ...(attempt.error_code !== null ? { errorCode: attempt.error_code as ErrorCode } : {}),
        ...(providerMessageId !== null ? { providerMessageId } : {}),
      };
    }),
    ...(row.status === "FAILED" && row.error_code !== null
      ? { error: { code: row.error_code as ErrorCode, message: row.error_message ?? "" } }
      : {}),
    ...(row.next_attempt_at !== null ? { nextAttemptAt: row.next_attempt_at } : {}),
    createdAt: row.created_at,
    ...(row.sent_at !== null ? { sentAt: row.sent_at } : {}),
    ...(row.failed_at !== null ? { failedAt: row.failed_at } : {}),
  };
}
