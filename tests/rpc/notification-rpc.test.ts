import { notificationV1 } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, Code, outcome, type RpcKit, startRpcKit } from "./rpc-kit.js";

// NotificationService over the public port: the audit, subscriptions and deliveries need the admin role, a customer
// reads only their own notifications, the answers are the REST ones, and refused calls change nothing.

const { Channel, NotificationStatus, WebhookDeliveryStatus } = notificationV1;

let kit: RpcKit;
let owner: Caller;
let stranger: Caller;
let admin: Caller;

beforeAll(async () => {
  kit = await startRpcKit(43);
  owner = await kit.customer();
  stranger = await kit.customer();
  admin = await kit.admin();
  await kit.shop.paidOrder(owner);
  await kit.platform.settle();
});
afterAll(() => kit.close());

const ops = () => kit.client(notificationV1.NotificationService, admin.token);

describe("NotificationService over Connect on the public port", () => {
  it("audits the notifications for an admin and lets a customer read only their own", async () => {
    const { notifications } = await ops().listNotifications({
      customerId: owner.customerId,
      status: NotificationStatus.SENT,
      channel: Channel.EMAIL,
    });
    const confirmation = notifications.find((notification) => notification.templateKey === "order_confirmation");
    expect(confirmation).toMatchObject({ status: NotificationStatus.SENT, channel: Channel.EMAIL, attemptCount: 1 });
    expect(confirmation!.attempts[0]).toMatchObject({ succeeded: true, errorCode: "" });

    const own = await kit
      .client(notificationV1.NotificationService, owner.token)
      .getNotification({ notificationId: confirmation!.notificationId });
    expect(own.notification?.notificationId).toBe(confirmation!.notificationId);
    const other = kit.client(notificationV1.NotificationService, stranger.token, "grpc-web");
    expect(await outcome(other.getNotification({ notificationId: confirmation!.notificationId }))).toBe(Code.NotFound);
    expect(await outcome(other.listNotifications({}))).toBe(Code.PermissionDenied);
    const anonymous = kit.client(notificationV1.NotificationService, undefined);
    expect(await outcome(anonymous.listNotificationTemplates({}))).toBe(Code.Unauthenticated);
    const { templates } = await other.listNotificationTemplates({ channel: Channel.EMAIL });
    expect(templates.map((template) => template.templateKey)).toContain("order_shipped");
  });

  it("creates, reads, changes and deletes a subscription; the secret is answered only at creation", async () => {
    const created = await ops().createWebhookSubscription({
      url: "https://partner.example.org/hooks",
      eventTypes: ["ecommerce.order.order.shipped.v1"],
      description: "over RPC",
    });
    const { subscriptionId, secret } = created.subscription!;
    expect(secret).toMatch(/^whsec_/);
    const read = await ops().getWebhookSubscription({ subscriptionId });
    expect(read.subscription).toMatchObject({ subscriptionId, secret: "", active: true, description: "over RPC" });

    const paused = await ops().updateWebhookSubscription({ subscriptionId, active: false });
    expect(paused.subscription).toMatchObject({
      active: false,
      deactivatedReason: notificationV1.DeactivatedReason.BY_ADMIN,
    });
    const retyped = await ops().updateWebhookSubscription({
      subscriptionId,
      eventTypes: { values: ["ecommerce.order.order.delivered.v1"] },
    });
    expect(retyped.subscription?.eventTypes).toEqual(["ecommerce.order.order.delivered.v1"]);
    const listed = await ops().listWebhookSubscriptions({ active: false });
    expect(listed.subscriptions.map((subscription) => subscription.subscriptionId)).toContain(subscriptionId);
    const { deliveries } = await ops().listWebhookDeliveries({
      subscriptionId,
      status: WebhookDeliveryStatus.FAILED,
    });
    expect(deliveries).toEqual([]);

    await ops().deleteWebhookSubscription({ subscriptionId });
    expect(await outcome(ops().getWebhookSubscription({ subscriptionId }))).toBe(Code.NotFound);
  });

  it("refuses what REST refuses, changing nothing", async () => {
    const before = (await ops().listWebhookSubscriptions({})).subscriptions.length;
    expect(
      await outcome(
        ops().createWebhookSubscription({
          url: "http://partner.example.org/hooks",
          eventTypes: ["ecommerce.order.order.paid.v1"],
        }),
      ),
    ).toBe(Code.FailedPrecondition);
    expect(
      await outcome(
        ops().createWebhookSubscription({
          url: "https://partner.example.org/hooks",
          eventTypes: ["ecommerce.nope.x.y.v1"],
        }),
      ),
    ).toBe(Code.FailedPrecondition);
    const customer = kit.client(notificationV1.NotificationService, owner.token, "grpc");
    expect(
      await outcome(
        customer.createWebhookSubscription({
          url: "https://partner.example.org/hooks",
          eventTypes: ["ecommerce.order.order.paid.v1"],
        }),
      ),
    ).toBe(Code.PermissionDenied);
    expect(await outcome(ops().redeliverWebhook({ deliveryId: "whd_01JH8Z3Q4R5S6T7V8W9X0Y1Z30" }))).toBe(Code.NotFound);
    expect(await outcome(ops().getNotification({ notificationId: "nope" }))).toBe(Code.InvalidArgument);
    expect((await ops().listWebhookSubscriptions({})).subscriptions.length).toBe(before);
  });
});
