import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, shopAt } from "../simulator/shop.js";

// What customers are told: e-mails rendered from events, sent through the simulated channel, readable through the
// audit API and the simulator's mailbox, retried on the virtual clock while the channel is down.

let platform: Platform;
let shop: ReturnType<typeof shopAt>;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 41, log: quiet });
  shop = shopAt(platform);
});
afterAll(async () => {
  await platform.close();
});

interface MailboxMessage {
  readonly messageId: string;
  readonly notificationId: string;
  readonly to: string;
  readonly subject: string;
  readonly body: string;
}

async function mailbox(query: string): Promise<MailboxMessage[]> {
  const response = await platform.handle({ method: "GET", url: `/_sim/mailbox?${query}`, headers: {}, body: "" });
  expect(response.status).toBe(200);
  return (JSON.parse(response.body) as { messages: MailboxMessage[] }).messages;
}

describe("customer notifications", () => {
  it("sends an order confirmation after checkout, readable through GET /notifications and /_sim/mailbox", async () => {
    const shopper = await shop.register();
    const { orderId } = await shop.paidOrder(shopper);
    await platform.settle();

    const mail = await mailbox(`to=${shopper.email}`);
    const confirmation = mail.find((message) => message.subject === `Your order ${orderId} is confirmed`);
    expect(confirmation?.body).toContain("Hi Shopper");
    expect(confirmation?.body).toContain(orderId);
    expect(mail.some((message) => message.subject.startsWith("Welcome"))).toBe(true);

    const { client: ops } = await shop.admin();
    const { data } = await ops.notification.listNotifications({
      params: { query: { customerId: shopper.customerId } },
    });
    const audited = data!.items.find((item) => item.templateKey === "order_confirmation")!;
    expect(audited).toMatchObject({
      notificationId: confirmation!.notificationId,
      status: "SENT",
      channel: "email",
      recipient: `s***@example.com`,
      trigger: { eventType: "ecommerce.order.order.created.v1" },
      attemptCount: 1,
      attempts: [{ attemptNumber: 1, status: "SUCCEEDED", providerMessageId: confirmation!.messageId }],
    });
    // The customer reads their own notification; another customer is told it does not exist.
    const own = await shopper.client.notification.getNotification({
      params: { path: { notificationId: audited.notificationId } },
    });
    expect(own.data?.notificationId).toBe(audited.notificationId);
    const stranger = await shop.register();
    const other = await stranger.client.notification.getNotification({
      params: { path: { notificationId: audited.notificationId } },
    });
    expect(other.response.status).toBe(404);
    // The audit is for admins.
    const refused = await shopper.client.notification.listNotifications({ params: { query: {} } });
    expect(refused.response.status).toBe(403);

    const sent = await platform.eventLog.read({
      afterSeq: 0,
      types: ["ecommerce.notification.notification.sent.v1"],
      limit: 1000,
    });
    expect(sent.some((event) => JSON.parse(event.envelope).payload.notificationId === audited.notificationId)).toBe(
      true,
    );
  });

  it("records failed attempts while emailChannelDown is on and sends on the retry after it is off", async () => {
    const fault = await platform.handle({
      method: "POST",
      url: "/_sim/faults",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ emailChannelDown: true }),
    });
    expect(fault.status).toBe(200);
    const shopper = await shop.register();
    const { orderId } = await shop.paidOrder(shopper);
    await platform.settle();
    const { client: ops } = await shop.admin();
    const confirmationOf = async () =>
      (
        await ops.notification.listNotifications({ params: { query: { customerId: shopper.customerId } } })
      ).data!.items.find((item) => item.templateKey === "order_confirmation")!;

    const queued = await confirmationOf();
    expect(queued).toMatchObject({
      status: "QUEUED",
      attemptCount: 1,
      attempts: [{ attemptNumber: 1, status: "FAILED", errorCode: "provider_unavailable" }],
    });
    expect(Date.parse(queued.nextAttemptAt!) - Date.parse(queued.attempts[0]!.attemptedAt)).toBe(60_000);
    expect(await mailbox(`to=${shopper.email}`)).toEqual([]);

    // Still down at the first retry: a second failed attempt, the next one 5 minutes later.
    await platform.advanceClock(60_000);
    await platform.settle();
    expect((await confirmationOf()).attempts.map((attempt) => attempt.status)).toEqual(["FAILED", "FAILED"]);

    platform.faults.emailChannelDown = false;
    await platform.advanceClock(5 * 60_000);
    await platform.settle();
    const sent = await confirmationOf();
    expect(sent.status).toBe("SENT");
    expect(sent.attempts.map((attempt) => attempt.status)).toEqual(["FAILED", "FAILED", "SUCCEEDED"]);
    const mail = await mailbox(`customerId=${shopper.customerId}`);
    expect(mail.some((message) => message.subject === `Your order ${orderId} is confirmed`)).toBe(true);
  });

  it("answers a bad mailbox query with a problem", async () => {
    const response = await platform.handle({ method: "GET", url: "/_sim/mailbox?limit=0", headers: {}, body: "" });
    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toContain("application/problem+json");
  });
});
