import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import type { notificationApi } from "@ecom/sdk";
import { notificationV1 } from "@ecom/sdk/rpc";
import {
  answerWithOperation,
  type ContextRuntime,
  type Ids,
  ifGiven,
  pageQueryOf,
  protoPageOf,
  type RestHandlers,
} from "../platform/index.js";
import {
  channelName,
  deliveryStatusName,
  ifChosen,
  notificationStatusName,
  protoDelivery,
  protoNotification,
  protoSubscription,
  protoTemplate,
} from "./notification-protos.js";
import type { NotificationDatabase } from "./store.js";

type Rest = RestHandlers<notificationApi.operations>;
type Service = ServiceImpl<typeof notificationV1.NotificationService>;

const operation = (operationId: keyof notificationApi.operations) => ({ context: "notification", operationId });

/**
 * NotificationService: notification.yaml's operations over Connect, answered by the same handlers as REST (see
 * answerWithOperation), so access, ownership of notifications, the webhook rules (https or loopback, published event
 * types, the secret shown once) and the redelivery rules are the REST ones.
 */
export function registerNotificationService(
  router: ConnectRouter,
  runtime: ContextRuntime<NotificationDatabase>,
  rest: Rest,
): void {
  const { ids } = runtime;
  router.service(notificationV1.NotificationService, {
    ...notificationMethods(rest, ids),
    ...subscriptionReads(rest, ids),
    ...subscriptionChanges(rest, ids),
    ...deliveryMethods(rest, ids),
  });
}

/** Auditing the notifications sent, and the templates they are sent from. */
function notificationMethods(
  rest: Rest,
  ids: Ids,
): Pick<Service, "listNotifications" | "getNotification" | "listNotificationTemplates"> {
  return {
    async listNotifications(request, context) {
      const { body } = await answerWithOperation(
        operation("listNotifications"),
        rest.listNotifications,
        {
          path: {},
          query: {
            ...pageQueryOf(request.page),
            ...ifGiven("customerId", request.customerId),
            ...ifChosen("status", request.status, notificationStatusName),
            ...ifChosen("channel", request.channel, channelName),
          },
          body: undefined,
        },
        { context, ids },
      );
      return create(notificationV1.ListNotificationsResponseSchema, {
        notifications: body.items.map(protoNotification),
        page: protoPageOf(body.page),
      });
    },

    async getNotification(request, context) {
      const { body } = await answerWithOperation(
        operation("getNotification"),
        rest.getNotification,
        { path: { notificationId: request.notificationId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(notificationV1.GetNotificationResponseSchema, { notification: protoNotification(body) });
    },

    async listNotificationTemplates(request, context) {
      const { body } = await answerWithOperation(
        operation("listNotificationTemplates"),
        rest.listNotificationTemplates,
        {
          path: {},
          query: { ...pageQueryOf(request.page), ...ifChosen("channel", request.channel, channelName) },
          body: undefined,
        },
        { context, ids },
      );
      return create(notificationV1.ListNotificationTemplatesResponseSchema, {
        templates: body.items.map(protoTemplate),
        page: protoPageOf(body.page),
      });
    },
  };
}

/** Listing and reading partners' webhook subscriptions. */
function subscriptionReads(rest: Rest, ids: Ids): Pick<Service, "listWebhookSubscriptions" | "getWebhookSubscription"> {
  return {
    async listWebhookSubscriptions(request, context) {
      const { body } = await answerWithOperation(
        operation("listWebhookSubscriptions"),
        rest.listWebhookSubscriptions,
        {
          path: {},
          query: {
            ...pageQueryOf(request.page),
            ...(request.active === undefined ? {} : { active: request.active }),
            ...ifGiven("eventType", request.eventType),
          },
          body: undefined,
        },
        { context, ids },
      );
      return create(notificationV1.ListWebhookSubscriptionsResponseSchema, {
        subscriptions: body.items.map(protoSubscription),
        page: protoPageOf(body.page),
      });
    },

    async getWebhookSubscription(request, context) {
      const { body } = await answerWithOperation(
        operation("getWebhookSubscription"),
        rest.getWebhookSubscription,
        { path: { subscriptionId: request.subscriptionId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(notificationV1.GetWebhookSubscriptionResponseSchema, { subscription: protoSubscription(body) });
    },
  };
}

/** Creating, changing and deleting a webhook subscription. */
function subscriptionChanges(
  rest: Rest,
  ids: Ids,
): Pick<Service, "createWebhookSubscription" | "updateWebhookSubscription" | "deleteWebhookSubscription"> {
  return {
    async createWebhookSubscription(request, context) {
      const { body } = await answerWithOperation(
        operation("createWebhookSubscription"),
        rest.createWebhookSubscription,
        {
          path: {},
          query: {},
          body: {
            url: request.url,
            eventTypes: request.eventTypes,
            ...ifGiven("description", request.description),
          },
        },
        { context, ids },
      );
      return create(notificationV1.CreateWebhookSubscriptionResponseSchema, {
        subscription: protoSubscription(body),
      });
    },

    async updateWebhookSubscription(request, context) {
      const { body } = await answerWithOperation(
        operation("updateWebhookSubscription"),
        rest.updateWebhookSubscription,
        {
          path: { subscriptionId: request.subscriptionId },
          query: {},
          body: {
            ...(request.url === undefined ? {} : { url: request.url }),
            ...(request.eventTypes === undefined ? {} : { eventTypes: request.eventTypes.values }),
            ...(request.description === undefined ? {} : { description: request.description }),
            ...(request.active === undefined ? {} : { active: request.active }),
          },
        },
        { context, ids },
      );
      return create(notificationV1.UpdateWebhookSubscriptionResponseSchema, {
        subscription: protoSubscription(body),
      });
    },

    async deleteWebhookSubscription(request, context) {
      const handler = rest.deleteWebhookSubscription;
      // 204 has no body: answered here rather than through answerWithOperation, which expects one.
      await answerWithOperation(
        operation("deleteWebhookSubscription"),
        handler &&
          (async (input: Parameters<typeof handler>[0]) => {
            await handler(input);
            return { status: 204, body: {} };
          }),
        { path: { subscriptionId: request.subscriptionId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(notificationV1.DeleteWebhookSubscriptionResponseSchema, {});
    },
  };
}

/** A subscription's deliveries, and sending a finished one again. */
function deliveryMethods(rest: Rest, ids: Ids): Pick<Service, "listWebhookDeliveries" | "redeliverWebhook"> {
  return {
    async listWebhookDeliveries(request, context) {
      const { body } = await answerWithOperation(
        operation("listWebhookDeliveries"),
        rest.listWebhookDeliveries,
        {
          path: { subscriptionId: request.subscriptionId },
          query: {
            ...pageQueryOf(request.page),
            ...ifChosen("status", request.status, deliveryStatusName),
            ...ifGiven("eventType", request.eventType),
          },
          body: undefined,
        },
        { context, ids },
      );
      return create(notificationV1.ListWebhookDeliveriesResponseSchema, {
        deliveries: body.items.map(protoDelivery),
        page: protoPageOf(body.page),
      });
    },

    async redeliverWebhook(request, context) {
      const { body } = await answerWithOperation(
        operation("redeliverWebhook"),
        rest.redeliverWebhook,
        { path: { deliveryId: request.deliveryId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(notificationV1.RedeliverWebhookResponseSchema, { delivery: protoDelivery(body) });
    },
  };
}
