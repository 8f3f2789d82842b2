import { type ContextRuntime, fail } from "../platform/index.js";
import { simulatedMessageId } from "./notification-views.js";
import type { NotificationDatabase } from "./store.js";

const MAX_MESSAGES = 200;

/**
 * The simulated e-mail channel's mailbox, newest first: what customers were sent, in full (unlike the masked REST
 * audit), for the simulator's `GET /_sim/mailbox?to=&customerId=&limit=`.
 */
export function createMailboxView(runtime: ContextRuntime<NotificationDatabase>) {
  const { db } = runtime;
  return async (query: URLSearchParams) => {
    const limitText = query.get("limit") ?? "50";
    const limit = Number(limitText);
    if (!/^[0-9]+$/.test(limitText) || limit < 1 || limit > MAX_MESSAGES)
      throw fail.validation("/query/limit", `must be a whole number from 1 to ${MAX_MESSAGES}`);
    // The customer and the subject are the notification's: the mailbox does not keep them twice.
    let select = db
      .selectFrom("mailbox")
      .innerJoin("notifications", "notifications.notification_id", "mailbox.notification_id")
      .select([
        "mailbox.notification_id",
        "mailbox.message_id",
        "mailbox.to_address",
        "mailbox.body",
        "mailbox.sent_at",
        "notifications.customer_id",
        "notifications.subject",
      ])
      .orderBy("mailbox.sent_at", "desc")
      .orderBy("mailbox.notification_id", "desc")
      .limit(limit);
    const to = query.get("to");
    if (to) select = select.where("mailbox.to_address", "=", to.toLowerCase());
    const customerId = query.get("customerId");
    if (customerId) select = select.where("notifications.customer_id", "=", customerId);
    const rows = await select.execute();
    return {
      messages: rows.map((row) => ({
        messageId: row.message_id ?? simulatedMessageId(row.notification_id),
        notificationId: row.notification_id,
        customerId: row.customer_id,
        to: row.to_address,
        subject: row.subject ?? "",
        body: row.body,
        sentAt: row.sent_at,
      })),
    };
  };
}
