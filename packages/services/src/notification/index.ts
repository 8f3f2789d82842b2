import { defineContext } from "../platform/index.js";
import { createMailboxView } from "./mailbox.js";
import { migrations } from "./migrations.js";
import { createNotificationQueue } from "./notification-queue.js";
import { createNotificationReads } from "./notification-reads.js";
import { createNotificationSender } from "./notification-sender.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerNotificationService } from "./rpc-service.js";
import type { NotificationDatabase } from "./store.js";
import { createSubscriptions } from "./subscriptions.js";
import { createWebhookDeliveries } from "./webhook-deliveries.js";
import { createWebhookFanOut } from "./webhook-fan-out.js";
import { WEBHOOK_TIMEOUT_MS } from "./webhook-rules.js";
import { createWebhookSender } from "./webhook-sender.js";
import { createWebhookSubscriptions } from "./webhook-subscriptions.js";
import { createWebhookTargets } from "./webhook-targets.js";

export { NOTIFICATION_RETRY_DELAYS_MS } from "./notification-outcomes.js";
export type { NotificationDatabase } from "./store.js";
export { WEBHOOK_RETRY_DELAYS_MS, WEBHOOK_TIMEOUT_MS } from "./webhook-rules.js";

/** What can be changed about the notification context, mostly for tests. */
export interface NotificationContextOptions {
  /** How long a partner has to answer a webhook attempt (default 15 s, as the contract says). */
  readonly webhookTimeoutMs?: number;
}

/**
 * Build the notification context: e-mails to customers rendered from templates when events tell them something
 * (registration, order confirmation, shipped, delivered, canceled, refund, payment failed) or on the send command,
 * through a simulated e-mail channel whose mailbox the simulator shows at `/_sim/mailbox`; and partner webhooks,
 * every subscribed event POSTed signed per Standard Webhooks and retried on the virtual clock. REST per
 * contracts/openapi/notification.yaml, events per contracts/asyncapi/notification.yaml.
 */
export function createNotificationContext(options: NotificationContextOptions = {}) {
  return defineContext<NotificationDatabase>({
    name: "notification",
    migrations,
    create(runtime) {
      const notifications = createNotificationSender(runtime);
      const targets = createWebhookTargets(runtime);
      const webhooks = createWebhookSender(runtime, targets, {
        timeoutMs: options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS,
      });
      const kick = () => {
        notifications.kick();
        webhooks.kick();
      };
      const subscriptions = createWebhookSubscriptions(runtime, targets, webhooks.kick);
      const rest = createRestHandlers({
        reads: createNotificationReads(runtime),
        subscriptions,
        deliveries: createWebhookDeliveries(runtime, subscriptions, webhooks.kick),
      });
      return {
        rest: rest,
        rpc: (router) => registerNotificationService(router, runtime, rest),
        subscriptions: createSubscriptions(
          createNotificationQueue(runtime),
          createWebhookFanOut(runtime, targets),
          // Sending starts once the queueing transaction has committed, so the senders see what it queued.
          (trx) => runtime.afterCommit(trx, kick),
        ),
        views: { mailbox: createMailboxView(runtime) },
        // E-mail is in-process and quick: the clock's tick waits for it. Webhooks go over the network and are only
        // started here; settle() waits for them through idle().
        tick: async () => {
          notifications.kick();
          await notifications.idle();
          webhooks.kick();
        },
        idle: async () => {
          await notifications.idle();
          await webhooks.idle();
        },
        start: async () => kick(),
        stop: async () => {
          await webhooks.stop();
          await notifications.stop();
        },
      };
    },
  });
}

/** The notification context as the simulator runs it. */
export const notificationContext = createNotificationContext();
