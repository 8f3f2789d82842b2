import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { quiet, shopAt } from "../simulator/shop.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

// Webhook deliveries live in the notification store: a restart on the same data folder resumes their schedule, and
// an attempt cut short by the shutdown is made again (at least once; the receiver dedupes by webhook-id).

const folders: string[] = [];
const receivers: WebhookReceiver[] = [];
const platforms: Platform[] = [];

afterEach(async () => {
  for (const platform of platforms.splice(0)) await platform.close();
  for (const receiver of receivers.splice(0)) {
    receiver.release(200);
    await receiver.close();
  }
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

async function start(dataDir: string) {
  const platform = await createPlatform({ contexts: allContexts, dataDir, seed: 44, log: quiet });
  platforms.push(platform);
  return { platform, shop: shopAt(platform) };
}

async function stop(platform: Platform) {
  platforms.splice(platforms.indexOf(platform), 1);
  await platform.close();
}

async function subscribeAndRegister(shop: ReturnType<typeof shopAt>, url: string) {
  const { client: ops } = await shop.admin();
  const { data } = await ops.notification.createWebhookSubscription({
    body: { url, eventTypes: ["ecommerce.customer.customer.registered.v1"] },
  });
  await shop.register();
  return data!.subscriptionId;
}

async function deliveries(shop: ReturnType<typeof shopAt>, subscriptionId: string) {
  const { client: ops } = await shop.admin();
  return (await ops.notification.listWebhookDeliveries({ params: { path: { subscriptionId } } })).data!.items;
}

describe("webhook deliveries across a restart", () => {
  it("keeps a retry's schedule: the delivery that failed before the restart is retried 30 s later after it", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "ecom-webhook-restart-"));
    folders.push(dataDir);
    const receiver = await startWebhookReceiver((index) => (index === 0 ? 503 : 200));
    receivers.push(receiver);

    const first = await start(dataDir);
    const subscriptionId = await subscribeAndRegister(first.shop, receiver.url);
    await first.platform.settle();
    expect((await deliveries(first.shop, subscriptionId))[0]).toMatchObject({ status: "RETRYING", attemptCount: 1 });
    await stop(first.platform);

    const second = await start(dataDir);
    await second.platform.settle();
    expect(receiver.received).toHaveLength(1);
    await second.platform.advanceClock(30_000);
    await second.platform.settle();
    expect(receiver.received).toHaveLength(2);
    expect((await deliveries(second.shop, subscriptionId))[0]).toMatchObject({ status: "SUCCEEDED", attemptCount: 2 });
    expect(receiver.received[1]!.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);
  });

  it("makes again an attempt the shutdown cut short, with the same webhook-id", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "ecom-webhook-restart-"));
    folders.push(dataDir);
    const receiver = await startWebhookReceiver((index) => (index === 0 ? "hold" : 200));
    receivers.push(receiver);

    const first = await start(dataDir);
    const subscriptionId = await subscribeAndRegister(first.shop, receiver.url);
    await receiver.receivedCount(1);
    // Closing aborts the attempt the receiver is holding; nothing about it is recorded.
    await stop(first.platform);

    const second = await start(dataDir);
    await receiver.receivedCount(2);
    await second.platform.settle();
    const [delivery] = await deliveries(second.shop, subscriptionId);
    expect(delivery).toMatchObject({ status: "SUCCEEDED", attemptCount: 1 });
    expect(receiver.received[1]!.headers["webhook-id"]).toBe(receiver.received[0]!.headers["webhook-id"]);
  });
});
