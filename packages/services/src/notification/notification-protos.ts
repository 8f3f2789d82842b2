import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { notificationApi } from "@ecom/sdk";
import { notificationV1 } from "@ecom/sdk/rpc";
import { enumNames, protoTimeIfAny, protoTimeOf } from "../platform/index.js";

type Schemas = notificationApi.components["schemas"];
const { Channel, NotificationStatus, WebhookDeliveryStatus, DeactivatedReason } = notificationV1;

/** The contract's channels as the proto enum. */
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
/** A proto channel as the contract names it (a request's filter). */
export const channelName = enumNames(CHANNEL);
/** A proto notification status as the contract names it. */
export const notificationStatusName = enumNames(NOTIFICATION_STATUS);
/** A proto delivery status as the contract names it. */
export const deliveryStatusName = enumNames(DELIVERY_STATUS);

/** An optional filter's enum: UNSPECIFIED (0) means "all", so it is left out of the query. */
export const ifChosen = <TName extends string, TValue extends number>(
  key: string,
  value: TValue,
  nameOf: (value: TValue, field: string) => TName,
): Record<string, TName> => (value === 0 ? {} : { [key]: nameOf(value, key) });

/** The contract's Notification as the proto Notification. */
export function protoNotification(notification: Schemas["Notification"]): notificationV1.Notification {
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

/** The contract's WebhookSubscription as the proto one (the secret only where the answer has it). */
export function protoSubscription(subscription: Schemas["WebhookSubscription"]): notificationV1.WebhookSubscription {
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

/** The contract's WebhookDelivery as the proto one. */
export function protoDelivery(delivery: Schemas["WebhookDelivery"]): notificationV1.WebhookDelivery {
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

/** The contract's NotificationTemplate as the proto one. */
export function protoTemplate(
  template: Schemas["NotificationTemplate"],
): MessageInitShape<typeof notificationV1.NotificationTemplateSchema> {
  return {
    templateKey: template.templateKey,
    name: template.name,
    description: template.description ?? "",
    channels: template.channels.map((channel) => CHANNEL[channel]),
    subject: template.subject ?? "",
    body: template.body,
    variables: template.variables.map((variable) => ({ ...variable, description: variable.description ?? "" })),
    triggeredBy: template.triggeredBy,
    updatedAt: protoTimeOf(template.updatedAt),
  };
}
