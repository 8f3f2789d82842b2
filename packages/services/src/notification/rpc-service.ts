import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { notificationApi } from "@ecom/sdk";
import { notificationV1 } from "@ecom/sdk/rpc";
import {
  answerWithOperation,
  type ContextRuntime,
  enumNames,
  ifGiven,
  pageQueryOf,
  protoPageOf,
  protoTimeIfAny,
  protoTimeOf,
  type RestHandlers,
} from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";

type Schemas = notificationApi.components["schemas"];
const { Channel, NotificationStatus, WebhookDeliveryStatus, DeactivatedReason } = notificationV1;

const CHANNEL: Readonly<Record<Schemas["Channel"], notificationV1.Channel>> = {
  email: Channel.EMAIL,
  sms: Channel.SMS,
  push: Channel.PUSH,
};
const NOTIFICATION_STATUS: Readonly<Record<Schemas["NotificationStatus"], notificationV1.NotificationStatus>> = {
  QUEUED: NotificationStatus.QUEUED,
  SENT: NotificationStatus.SENT,
  FAILED: NotificationStatus.FAILED,
};
const DELIVERY_STATUS: Readonly<Record<Schemas["WebhookDeliveryStatus"], notificationV1.WebhookDeliveryStatus>> = {
  PENDING: WebhookDeliveryStatus.PENDING,
  RETRYING: WebhookDeliveryStatus.RETRYING,
  SUCCEEDED: WebhookDeliveryStatus.SUCCEEDED,
  FAILED: WebhookDeliveryStatus.FAILED,
};
const DEACTIVATED_REASON: Readonly<
  Record<NonNullable<Schemas["WebhookSubscription"]["deactivatedReason"]>, notificationV1.DeactivatedReason>
> = {
  by_admin: DeactivatedReason.BY_ADMIN,
  endpoint_gone: DeactivatedReason.ENDPOINT_GONE,
};
const channelName = enumNames(CHANNEL);
const notificationStatusName = enumNames(NOTIFICATION_STATUS);
const deliveryStatusName = enumNames(DELIVERY_STATUS);

/** An optional filter's enum: UNSPECIFIED (0) means "all", so it is left out of the query. */
const ifChosen = <TName extends string, TValue extends number>(
  key: string,
  value: TValue,
  nameOf: (value: TValue, field: string) => TName,
): Record<string, TName> => (value === 0 ? {} : { [key]: nameOf(value, key) });

function protoNotification(notification: Schemas["Notification"]): notificationV1.Notification {
  return create(notificationV1.NotificationSchema, {
    notificationId: notification.notificationId,
    customerId: notification.customerId,
    templateKey: notification.templateKey,
    channel: CHANNEL[notification.channel],
    recipient: notification.recipient,
    subject: notification.subject ?? "",
    status: NOTIFICATION_STATUS[notification.status],
    ...(notification.trigger ? { trigger: notification.trigger } : {}),
    attemptCount: notification.attemptCount,
    attempts: notification.attempts.map((attempt) => ({
      attemptNumber: attempt.attemptNumber,
      attemptedAt: protoTimeOf(attempt.attemptedAt),
      succeeded: attempt.status === "SUCCEEDED",
      errorCode: attempt.errorCode ?? "",
      providerMessageId: attempt.providerMessageId ?? "",
    })),
    errorCode: notification.error?.code ?? "",
    errorMessage: notification.error?.message ?? "",
    nextAttemptAt: protoTimeIfAny(notification.nextAttemptAt),
    createdAt: protoTimeOf(notification.createdAt),
    sentAt: protoTimeIfAny(notification.sentAt),
    failedAt: protoTimeIfAny(notification.failedAt),
  });
}

function protoSubscription(subscription: Schemas["WebhookSubscription"]): notificationV1.WebhookSubscription {
  return create(notificationV1.WebhookSubscriptionSchema, {
    subscriptionId: subscription.subscriptionId,
    url: subscription.url,
    eventTypes: subscription.eventTypes,
    description: subscription.description ?? "",
    active: subscription.active,
    deactivatedReason:
      subscription.deactivatedReason === undefined
        ? DeactivatedReason.UNSPECIFIED
        : DEACTIVATED_REASON[subscription.deactivatedReason],
    secret: subscription.secret ?? "",
    createdAt: protoTimeOf(subscription.createdAt),
    updatedAt: protoTimeOf(subscription.updatedAt),
  });
}

function protoDelivery(delivery: Schemas["WebhookDelivery"]): notificationV1.WebhookDelivery {
  return create(notificationV1.WebhookDeliverySchema, {
    deliveryId: delivery.deliveryId,
    subscriptionId: delivery.subscriptionId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    url: delivery.url,
    status: DELIVERY_STATUS[delivery.status],
    attemptCount: delivery.attemptCount,
    attempts: delivery.attempts.map((attempt) => ({
      attemptNumber: attempt.attemptNumber,
      attemptedAt: protoTimeOf(attempt.attemptedAt),
      responseStatus: attempt.responseStatus ?? 0,
      durationMs: attempt.durationMs,
      error: attempt.error ?? "",
    })),
    nextAttemptAt: protoTimeIfAny(delivery.nextAttemptAt),
    createdAt: protoTimeOf(delivery.createdAt),
    updatedAt: protoTimeOf(delivery.updatedAt),
    succeededAt: protoTimeIfAny(delivery.succeededAt),
    failedAt: protoTimeIfAny(delivery.failedAt),
  });
}

/**
 * NotificationService: notification.yaml's operations over Connect, answered by the same handlers as REST (see
 * answerWithOperation), so access, ownership of notifications, the webhook rules (https or loopback, published event
 * types, the secret shown once) and the redelivery rules are the REST ones.
 */
export function registerNotificationService(
  router: ConnectRouter,
  runtime: ContextRuntime<NotificationDatabase>,
  rest: RestHandlers<notificationApi.operations>,
): void {
  const operation = (operationId: keyof notificationApi.operations) => ({ context: "notification", operationId });
  const { ids } = runtime;
  router.service(notificationV1.NotificationService, {
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
        templates: body.items.map((template) => ({
          templateKey: template.templateKey,
          name: template.name,
          description: template.description ?? "",
          channels: template.channels.map((channel) => CHANNEL[channel]),
          subject: template.subject ?? "",
          body: template.body,
          variables: template.variables.map((variable) => ({ ...variable, description: variable.description ?? "" })),
          triggeredBy: template.triggeredBy,
          updatedAt: protoTimeOf(template.updatedAt),
        })),
        page: protoPageOf(body.page),
      });
    },

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
  });
}
