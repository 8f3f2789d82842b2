import type { notificationApi } from "@ecom/sdk";
import type { RestHandlers } from "../platform/index.js";
import type { createNotificationReads } from "./notification-reads.js";
import type { createWebhookDeliveries } from "./webhook-deliveries.js";
import type { createWebhookSubscriptions } from "./webhook-subscriptions.js";

/** The notification context's REST operations, per contracts/openapi/notification.yaml. */
export function createRestHandlers(parts: {
  readonly reads: ReturnType<typeof createNotificationReads>;
  readonly subscriptions: ReturnType<typeof createWebhookSubscriptions>;
  readonly deliveries: ReturnType<typeof createWebhookDeliveries>;
}): RestHandlers<notificationApi.operations> {
  const { reads, subscriptions, deliveries } = parts;
  return {
    createWebhookSubscription: subscriptions.createWebhookSubscription,
    listWebhookSubscriptions: subscriptions.listWebhookSubscriptions,
    getWebhookSubscription: subscriptions.getWebhookSubscription,
    updateWebhookSubscription: subscriptions.updateWebhookSubscription,
    deleteWebhookSubscription: subscriptions.deleteWebhookSubscription,
    listWebhookDeliveries: deliveries.listWebhookDeliveries,
    redeliverWebhook: deliveries.redeliverWebhook,
    listNotifications: reads.listNotifications,
    getNotification: reads.getNotification,
    listNotificationTemplates: reads.listNotificationTemplates,
  };
}
