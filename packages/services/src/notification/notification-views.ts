import type { notificationApi } from "@ecom/sdk";
import type { NotificationAttemptTable, NotificationTable } from "./store.js";

type Schemas = notificationApi.components["schemas"];
type Notification = Schemas["Notification"];
type ErrorCode = NonNullable<Schemas["NotificationAttempt"]["errorCode"]>;

/** A notification row and its attempts (oldest first) as the contract shows it. */
export function toNotification(row: NotificationTable, attempts: readonly NotificationAttemptTable[]): Notification {
  return {
    notificationId: row.notification_id,
    customerId: row.customer_id,
    templateKey: row.template_key,
    channel: row.channel as Notification["channel"],
    recipient: row.recipient,
    ...(row.subject !== null ? { subject: row.subject } : {}),
    status: row.status as Notification["status"],
    trigger: { eventId: row.trigger_event_id, eventType: row.trigger_event_type },
    attemptCount: row.attempt_count,
    attempts: attempts.map((attempt) => ({
      attemptNumber: attempt.attempt_number,
      attemptedAt: attempt.attempted_at,
      status: attempt.status as "SUCCEEDED" | "FAILED",
      ...(attempt.error_code !== null ? { errorCode: attempt.error_code as ErrorCode } : {}),
      ...(attempt.provider_message_id !== null ? { providerMessageId: attempt.provider_message_id } : {}),
    })),
    ...(row.status === "FAILED" && row.error_code !== null
      ? { error: { code: row.error_code as ErrorCode, message: row.error_message ?? "" } }
      : {}),
    ...(row.next_attempt_at !== null ? { nextAttemptAt: row.next_attempt_at } : {}),
    createdAt: row.created_at,
    ...(row.sent_at !== null ? { sentAt: row.sent_at } : {}),
    ...(row.failed_at !== null ? { failedAt: row.failed_at } : {}),
  };
}
