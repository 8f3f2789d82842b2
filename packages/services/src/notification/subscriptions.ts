import { type EcomMessage, type EventType, messageRegistry } from "@ecom/sdk";
import type { Transaction } from "kysely";
import type { ContextParts } from "../platform/index.js";
import type { NotificationQueue } from "./notification-queue.js";
import type { NotificationDatabase } from "./store.js";
import { notificationFor } from "./templates.js";
import type { WebhookFanOut } from "./webhook-fan-out.js";

type Subscriptions = NonNullable<ContextParts<NotificationDatabase>["subscriptions"]>;

/**
 * What notification consumes. Every event of the platform is offered to the partner webhook subscriptions (any of
 * them may be subscribed to; contexts.yaml lists under `subscribes` the ones notification itself acts on): the
 * events that tell a customer something also queue an e-mail, and the send command queues what it asks for. Each
 * handler runs in the transaction that moves notification's cursor past the message, so it queues once: a crash
 * undoes both, and a message the cursor has passed is not delivered again.
 * Sending happens after commit (`afterQueue` is given the transaction to hook the kick to), never here: a slow channel
 * or partner must not hold up the pipeline.
 */
export function createSubscriptions(
  queue: NotificationQueue,
  webhooks: WebhookFanOut,
  afterQueue: (trx: Transaction<NotificationDatabase>) => void,
): Subscriptions {
  const onEvent = async (message: EcomMessage, trx: Transaction<NotificationDatabase>) => {
    const notification = notificationFor(message);
    if (notification) await queue.fromEvent(trx, message, notification);
    const queued = await webhooks.fanOut(trx, message);
    if (notification || queued > 0) afterQueue(trx);
  };
  const handlers: Partial<Record<EventType, typeof onEvent>> = {};
  for (const type of Object.keys(messageRegistry) as EventType[])
    if (messageRegistry[type].kind === "event") handlers[type] = onEvent;
  return {
    ...handlers,
    "ecommerce.notification.notification.send.v1": async (command, trx) => {
      await queue.fromCommand(trx, command);
      afterQueue(trx);
    },
  };
}
