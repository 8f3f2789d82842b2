import { verifyWebhook } from "@ecom/sdk";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createNotificationContext } from "../../packages/services/src/notification/index.js";
import { quiet, shopAt } from "../simulator/shop.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

// Partner webhooks over real HTTP: signed per Standard Webhooks, retried on the virtual clock (30 s, 2 min, 5 min,
// 15 min, 30 min), dead-lettered, redelivered; a slow partner delays only itself.

let platform: Platform;
let shop: ReturnType<typeof shopAt>;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 42, log: quiet });
  shop = shopAt(platform);
});
afterEach(async () => {
  for (const receiver of receivers.splice(0)) {
    receiver.release(200);
    await receiver.close();
  }
});
afterAll(async () => {
  await platform.close();
});

async function receiver(answer: (index: number) => number | "hold") {
  const started = await startWebhookReceiver(answer);
  receivers.push(started);
  return started;
}

async function subscribe(url: string, eventTypes: string[]) {
  const { client: ops } = await shop.admin();
  const { data, error } = await ops.notification.createWebhookSubscription({ body: { url, eventTypes } });
  if (!data) throw new Error(`subscription refused: ${JSON.stringify(error)}`);
  return { ops, subscription: data, secret: data.secret! };
}

async function deliveriesOf(subscriptionId: string) {
  const { client: ops } = await shop.admin();
  const { data } = await ops.notification.listWebhookDeliveries({ params: { path: { subscriptionId } } });
  return data!.items;
}

/** Move the clock and wait until every attempt that fell due has been made. */
async function advance(milliseconds: number) {
  await platform.advanceClock(milliseconds);
  await platform.settle();
}

describe("partner webhooks", () => {
  it("delivers on the third try after 30 s and 2 min, signed so the standardwebhooks package verifies it", async () => {
    const partner = await receiver((index) => (index < 2 ? 503 : 200));
    const { subscription, secret } = await subscribe(partner.url, ["ecommerce.order.order.created.v1"]);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const { orderId } = await shop.paidOrder(await shop.register());
    await platform.settle();
    expect(partner.received).toHaveLength(1);
    let [delivery] = await deliveriesOf(subscription.subscriptionId);
    expect(delivery).toMatchObject({ status: "RETRYING", attemptCount: 1, attempts: [{ responseStatus: 503 }] });
    expect(Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.attempts[0]!.attemptedAt)).toBe(30_000);

    await advance(29_999);
    expect(partner.received).toHaveLength(1);
    await advance(1);
    expect(partner.received).toHaveLength(2);
    await advance(119_999);
    expect(partner.received).toHaveLength(2);
    await advance(1);
    expect(partner.received).toHaveLength(3);

    [delivery] = await deliveriesOf(subscription.subscriptionId);
    expect(delivery).toMatchObject({ status: "SUCCEEDED", attemptCount: 3 });
    expect(delivery!.attempts.map((attempt) => attempt.responseStatus)).toEqual([503, 503, 200]);

    const last = partner.received[2]!;
    const headers = {
      "webhook-id": String(last.headers["webhook-id"]),
      "webhook-timestamp": String(last.headers["webhook-timestamp"]),
      "webhook-signature": String(last.headers["webhook-signature"]),
    };
    // The reference library checks the signature and that the timestamp is within 5 minutes of the wall clock.
    const event = new Webhook(secret).verify(last.body, headers) as {
      eventId: string;
      eventType: string;
      occurredAt: string;
      payload: { orderId: string };
    };
    expect(event).toMatchObject({ eventType: "ecommerce.order.order.created.v1", payload: { orderId } });
    // webhook-id is the eventId on every attempt; the envelope keeps the platform's (virtual, seeded) time.
    expect(partner.received.map((request) => request.headers["webhook-id"])).toEqual([
      event.eventId,
      event.eventId,
      event.eventId,
    ]);
    expect(event.occurredAt.startsWith("2026-01-01")).toBe(true);
    expect(verifyWebhook(secret, headers, last.body).error).toBeUndefined();

    const tampered = last.body.replace(orderId, "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R");
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow();
    expect(verifyWebhook(secret, headers, tampered).error?.code).toBe("bad_signature");
  });

  it("dead-letters a delivery that fails through the whole schedule, publishes the failure, and redelivers it", async () => {
    let down = true;
    const partner = await receiver(() => (down ? 500 : 204));
    const { subscription, secret } = await subscribe(partner.url, ["ecommerce.customer.customer.registered.v1"]);
    await shop.register();
    await platform.settle();
    for (const wait of [30_000, 120_000, 300_000, 900_000, 1_800_000]) await advance(wait);
    expect(partner.received).toHaveLength(6);

    const [failed] = await deliveriesOf(subscription.subscriptionId);
    expect(failed).toMatchObject({ status: "FAILED", attemptCount: 6 });
    expect(failed!.nextAttemptAt).toBeUndefined();
    const deadLetters = await platform.eventLog.read({
      afterSeq: 0,
      types: ["ecommerce.notification.webhook_delivery.failed.v1"],
      limit: 100,
    });
    const deadLetter = deadLetters
      .map((logged) => JSON.parse(logged.envelope))
      .find((envelope) => envelope.payload.deliveryId === failed!.deliveryId);
    expect(deadLetter).toMatchObject({
      partitionKey: subscription.subscriptionId,
      payload: { eventId: failed!.eventId, attemptCount: 6, lastResponseStatus: 500, url: partner.url },
    });
    // Nothing more is tried on its own.
    await advance(3_600_000);
    expect(partner.received).toHaveLength(6);

    down = false;
    // Tokens expire as the virtual clock moves: sign in again.
    const { client: ops } = await shop.admin();
    const redelivered = await ops.notification.redeliverWebhook({
      params: { path: { deliveryId: failed!.deliveryId } },
    });
    expect(redelivered.response.status).toBe(202);
    expect(redelivered.data).toMatchObject({ status: "PENDING", attemptCount: 6 });
    await platform.settle();
    expect(partner.received).toHaveLength(7);
    const [succeeded] = await deliveriesOf(subscription.subscriptionId);
    expect(succeeded).toMatchObject({ status: "SUCCEEDED", attemptCount: 7 });
    const last = partner.received[6]!;
    expect(last.headers["webhook-id"]).toBe(failed!.eventId);
    expect(verifyWebhook(secret, last.headers, last.body).error).toBeUndefined();
    // A delivery that is not finished, or a finished one twice in a row while queued, is refused with 409.
    const again = await ops.notification.redeliverWebhook({ params: { path: { deliveryId: failed!.deliveryId } } });
    expect(again.response.status).toBe(202);
    const queued = await ops.notification.redeliverWebhook({ params: { path: { deliveryId: failed!.deliveryId } } });
    expect(queued.response.status).toBe(409);
    await platform.settle();
  });

  it("keeps delivering to other subscribers, in order, while one partner does not answer", async () => {
    const slow = await receiver((index) => (index === 0 ? "hold" : 200));
    const fast = await receiver(() => 200);
    await subscribe(slow.url, ["ecommerce.customer.customer.registered.v1"]);
    await subscribe(fast.url, ["ecommerce.customer.customer.registered.v1"]);
    const first = await shop.register();
    const second = await shop.register();
    // No settle: the slow partner holds its first request for as long as the test wants.
    await fast.receivedCount(2);
    await slow.receivedCount(1);
    expect(slow.received).toHaveLength(1);
    expect(fast.received.map((request) => JSON.parse(request.body).payload.customerId)).toEqual([
      first.customerId,
      second.customerId,
    ]);
    slow.release(200);
    await platform.settle();
    expect(slow.received.map((request) => JSON.parse(request.body).payload.customerId)).toEqual([
      first.customerId,
      second.customerId,
    ]);
    const { client: ops } = await shop.admin();
    const welcome = await ops.notification.listNotifications({
      params: { query: { customerId: second.customerId } },
    });
    expect(welcome.data!.items[0]).toMatchObject({ templateKey: "welcome", status: "SENT" });
  });

  it("stops delivering to a disabled subscription and drops the retries of a deleted one", async () => {
    const partner = await receiver(() => 503);
    const { ops, subscription } = await subscribe(partner.url, ["ecommerce.customer.customer.registered.v1"]);
    const path = { subscriptionId: subscription.subscriptionId };
    await shop.register();
    await platform.settle();
    expect(partner.received).toHaveLength(1);

    const paused = await ops.notification.updateWebhookSubscription({ params: { path }, body: { active: false } });
    expect(paused.data).toMatchObject({ active: false, deactivatedReason: "by_admin" });
    await shop.register();
    await advance(30_000);
    // Neither the retry that fell due nor the new event went out while it was paused.
    expect(partner.received).toHaveLength(1);

    const resumed = await ops.notification.updateWebhookSubscription({ params: { path }, body: { active: true } });
    expect(resumed.data?.active).toBe(true);
    expect(resumed.data?.deactivatedReason).toBeUndefined();
    await platform.settle();
    expect(partner.received).toHaveLength(2);

    expect((await ops.notification.deleteWebhookSubscription({ params: { path } })).response.status).toBe(204);
    await advance(3_600_000);
    expect(partner.received).toHaveLength(2);
    const { client: again } = await shop.admin();
    expect((await again.notification.getWebhookSubscription({ params: { path } })).response.status).toBe(404);
    expect((await again.notification.deleteWebhookSubscription({ params: { path } })).response.status).toBe(404);
  });

  it("delivers what a subscription names from the change on: created, retargeted, deactivated, reactivated", async () => {
    const partner = await receiver(() => 200);
    const registered = "ecommerce.customer.customer.registered.v1";
    const { ops, subscription } = await subscribe(partner.url, ["ecommerce.review.review.published.v1"]);
    const path = { subscriptionId: subscription.subscriptionId };
    await shop.register();
    await platform.settle();
    expect(partner.received).toHaveLength(0);

    await ops.notification.updateWebhookSubscription({ params: { path }, body: { eventTypes: [registered] } });
    await shop.register();
    await platform.settle();
    expect(partner.received).toHaveLength(1);

    await ops.notification.updateWebhookSubscription({ params: { path }, body: { active: false } });
    await shop.register();
    await platform.settle();
    expect(partner.received).toHaveLength(1);

    await ops.notification.updateWebhookSubscription({ params: { path }, body: { active: true } });
    await shop.register();
    await platform.settle();
    expect(partner.received).toHaveLength(2);
    expect(await deliveriesOf(subscription.subscriptionId)).toHaveLength(2);
  });

  it("deactivates a subscription whose endpoint answers 410 Gone and dead-letters the delivery at once", async () => {
    const gone = await receiver(() => 410);
    const { ops, subscription } = await subscribe(gone.url, ["ecommerce.customer.customer.registered.v1"]);
    await shop.register();
    await platform.settle();
    const [delivery] = await deliveriesOf(subscription.subscriptionId);
    expect(delivery).toMatchObject({ status: "FAILED", attemptCount: 1, attempts: [{ responseStatus: 410 }] });
    const read = await ops.notification.getWebhookSubscription({
      params: { path: { subscriptionId: subscription.subscriptionId } },
    });
    expect(read.data).toMatchObject({ active: false, deactivatedReason: "endpoint_gone" });
    // Later events are not queued for it, and nothing is retried.
    await shop.register();
    await advance(3_600_000);
    expect(gone.received).toHaveLength(1);
  });

  it.each([
    ["plain http to a host that is not loopback", { url: "http://partner.example.org/hooks" }, "insecure_webhook_url"],
    ["an event type nobody publishes", { eventTypes: ["ecommerce.order.order.refunded.v1"] }, "unknown_event_type"],
    [
      "a command instead of an event",
      { eventTypes: ["ecommerce.notification.notification.send.v1"] },
      "unknown_event_type",
    ],
  ])("refuses a subscription with %s (422) and stores nothing", async (_name, change, code) => {
    const { client: ops } = await shop.admin();
    const before = (await ops.notification.listWebhookSubscriptions({ params: { query: {} } })).data!.items.length;
    const { error, response } = await ops.notification.createWebhookSubscription({
      body: { url: "https://partner.example.org/hooks", eventTypes: ["ecommerce.order.order.paid.v1"], ...change },
    });
    expect(response.status).toBe(422);
    expect(error).toMatchObject({ code });
    const after = (await ops.notification.listWebhookSubscriptions({ params: { query: {} } })).data!.items.length;
    expect(after).toBe(before);
  });

  it("accepts http on loopback hosts and hides the secret after creation", async () => {
    for (const url of ["http://localhost:9/hooks", "http://127.0.0.1:9/hooks", "http://[::1]:9/hooks"]) {
      const { ops, subscription } = await subscribe(url, ["ecommerce.review.review.published.v1"]);
      const read = await ops.notification.getWebhookSubscription({
        params: { path: { subscriptionId: subscription.subscriptionId } },
      });
      expect(read.data).toMatchObject({ url, active: true });
      expect(read.data).not.toHaveProperty("secret");
      await ops.notification.deleteWebhookSubscription({
        params: { path: { subscriptionId: subscription.subscriptionId } },
      });
    }
  });
});

describe("a partner's failed attempts", () => {
  // A partner gets 50 ms to answer here, not the contract's 15 s, so that a request held past it times out at once.
  let short: Platform;
  let shortShop: ReturnType<typeof shopAt>;
  beforeAll(async () => {
    const contexts = allContexts.map((context) =>
      context.name === "notification" ? createNotificationContext({ webhookTimeoutMs: 50 }) : context,
    );
    short = await createPlatform({ contexts, memory: true, seed: 43, log: quiet });
    shortShop = shopAt(short);
  });
  afterAll(async () => {
    await short.close();
  });

  it.each([
    ["answers too late", async () => (await receiver(() => "hold")).url, {}, "No response within 0.05 s"],
    [
      "cannot be reached",
      async () => {
        const closed = await startWebhookReceiver(() => 200);
        await closed.close();
        return closed.url;
      },
      {},
      "Could not reach the endpoint: ECONNREFUSED",
    ],
    ["redirects", async () => (await receiver(() => 302)).url, { responseStatus: 302 }, "302 Found"],
  ])("records a partner that %s as a failed attempt, retried 30 s later", async (_name, endpoint, answer, error) => {
    const url = await endpoint();
    const { client: ops } = await shortShop.admin();
    const { data: subscription } = await ops.notification.createWebhookSubscription({
      body: { url, eventTypes: ["ecommerce.customer.customer.registered.v1"] },
    });
    await shortShop.register();
    await short.settle();
    const { data } = await ops.notification.listWebhookDeliveries({
      params: { path: { subscriptionId: subscription!.subscriptionId } },
    });
    const [delivery] = data!.items;
    expect(delivery).toMatchObject({ status: "RETRYING", attemptCount: 1 });
    expect(delivery!.attempts).toEqual([
      { attemptNumber: 1, attemptedAt: expect.any(String), durationMs: expect.any(Number), ...answer, error },
    ]);
    expect(Date.parse(delivery!.nextAttemptAt!) - Date.parse(delivery!.attempts[0]!.attemptedAt)).toBe(30_000);
    const read = await ops.notification.getWebhookSubscription({
      params: { path: { subscriptionId: subscription!.subscriptionId } },
    });
    expect(read.data).toMatchObject({ active: true });
    await ops.notification.deleteWebhookSubscription({
      params: { path: { subscriptionId: subscription!.subscriptionId } },
    });
  });
});
