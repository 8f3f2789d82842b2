import { type ContextRuntime, fail } from "../platform/index.js";
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
    let select = db
      .selectFrom("mailbox")
      .selectAll()
      .orderBy("sent_at", "desc")
      .orderBy("message_id", "desc")
      .limit(limit);
    const to = query.get("to");
    if (to) select = select.where("to_address", "=", to.toLowerCase());
    const customerId = query.get("customerId");
    if (customerId) select = select.where("customer_id", "=", customerId);
    const rows = await select.execute();
    return {
      messages: rows.map((row) => ({
        messageId: row.message_id,
        notificationId: row.notification_id,
        customerId: row.customer_id,
        to: row.to_address,
        subject: row.subject,
        body: row.body,
        sentAt: row.sent_at,
      })),
    };
  };
}
