import type { MessageOf } from "@ecom/sdk";
import { type EmbeddedBroker, type MqttFeed, type Platform, startEmbeddedBroker, startMqttFeed } from "@ecom/simulator";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet } from "../simulator/shop.js";
import { onHand, outcomeOf, report, seededPlatform, stockedProduct } from "./feed-kit.js";

// The MQTT stock feed end to end on the simulator's embedded broker (aedes): a device publishes with the `mqtt`
// client, inventory's command applies the delta, REST shows it and stock.adjusted is in the log. Every wait is for
// the feed's batch event or the platform settling, never for a stretch of time.

let platform: Platform;
let broker: EmbeddedBroker;
let feed: MqttFeed;
let device: MqttClient;
const FEED_CLIENT = "ecom-sim-device-feed-test";

beforeAll(async () => {
  platform = await seededPlatform();
  broker = await startEmbeddedBroker({ port: 0 });
  feed = await startMqttFeed({ url: broker.url, feeds: platform.feeds, log: quiet, clientId: FEED_CLIENT });
  device = await connectAsync(broker.url, { clientId: "shelf-scale-07", reconnectPeriod: 0 });
}, 60_000);

afterAll(async () => {
  await device?.endAsync();
  await feed?.close();
  await broker?.close();
  await platform?.close();
});

/** Publish `payload` on the product's topic with QoS 1; resolve with its outcome once it is delivered everywhere. */
async function publish(isbn: string, payload: string, into: MqttFeed = feed) {
  const outcome = outcomeOf(into, payload);
  await device.publishAsync(`iot/inventory/${isbn}/delta`, payload, { qos: 1 });
  const result = await outcome;
  await platform.settle();
  return result;
}

async function adjustedEvents(productId: string) {
  const log = await platform.eventLog.read({
    afterSeq: 0,
    types: ["ecommerce.inventory.stock.adjusted.v1"],
    limit: 10_000,
  });
  return log
    .map((event) => JSON.parse(event.envelope) as MessageOf<"ecommerce.inventory.stock.adjusted.v1">)
    .filter((event) => event.payload.productId === productId && event.payload.source === "DEVICE");
}

/** Resolves once the log holds `count` device adjustments of the product: re-checked on every append. */
async function untilAdjusted(productId: string, count: number) {
  for (;;) {
    // Listening before looking, so an append during the read is not missed.
    const appended = new Promise<void>((resolve) => {
      const stop = platform.eventLog.watch(() => {
        stop();
        resolve();
      });
    });
    if ((await adjustedEvents(productId)).length >= count) return;
    await appended;
  }
}

async function deadLetters() {
  const response = await platform.fetch(new Request("http://ecom.test/_sim/device-feed"));
  expect(response.status).toBe(200);
  return ((await response.json()) as { deadLetters: { reason: string; payload: string; topic?: string }[] })
    .deadLetters;
}

describe("the MQTT stock feed on the embedded broker", () => {
  it("turns a delta on iot/inventory/{isbn}/delta into an adjustment: the REST stock level drops and stock.adjusted is published", async () => {
    const { productId, isbn } = await stockedProduct(platform, 0);
    const before = await onHand(platform, productId);
    expect(await publish(isbn, report({ delta: -2, sequence: 1 }))).toEqual({ kind: "accepted" });
    expect(await onHand(platform, productId)).toBe(before - 2);
    const [adjusted, ...others] = await adjustedEvents(productId);
    expect(others).toEqual([]);
    expect(adjusted).toMatchObject({
      correlationId: "shelf-scale-07:1",
      payload: {
        productId,
        delta: -2,
        reason: "SENSOR",
        source: "DEVICE",
        deviceId: "shelf-scale-07",
        onHand: before - 2,
      },
    });
  });

  it("applies a report once when the device sends it again with the same deviceId and sequence", async () => {
    const { productId, isbn } = await stockedProduct(platform, 1);
    const before = await onHand(platform, productId);
    const payload = report({ delta: -3, sequence: 77 });
    expect(await publish(isbn, payload)).toEqual({ kind: "accepted" });
    // The device replays it (observed a second later by its clock): a new message, the same (deviceId, sequence).
    const again = JSON.stringify({ ...JSON.parse(payload), observedAt: "2026-01-01T00:00:01Z" });
    expect(await publish(isbn, again)).toEqual({ kind: "accepted" });
    expect(await onHand(platform, productId)).toBe(before - 3);
    expect(await adjustedEvents(productId)).toHaveLength(1);
  });

  it.each([
    ["a payload that is not JSON", "minus two", /not JSON/],
    ["a zero delta", report({ delta: 0, sequence: 5 }), /\/delta/],
    ["a delta that is not a number", report({ delta: 1, sequence: 6 }).replace('"delta":1', '"delta":"-2"'), /\/delta/],
    ["a reason the contract does not know", report({ delta: -1, sequence: 7, reason: "THEFT" }), /\/reason/],
    [
      "a report without its sequence",
      JSON.stringify({ delta: -1, reason: "SENSOR", deviceId: "shelf-scale-07", observedAt: "2026-01-01T00:00:00Z" }),
      /sequence/,
    ],
    [
      "a report naming the product itself",
      JSON.stringify({
        ...JSON.parse(report({ delta: -1, sequence: 8 })),
        productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
      }),
      /productId/,
    ],
  ])("dead-letters %s with the reason and changes nothing", async (_name, payload, reason) => {
    const { productId, isbn } = await stockedProduct(platform, 2);
    const before = await onHand(platform, productId);
    const outcome = await publish(isbn, payload);
    expect(outcome).toMatchObject({ kind: "dead-lettered", reason: expect.stringMatching(reason) });
    expect(await onHand(platform, productId)).toBe(before);
    expect(await adjustedEvents(productId)).toEqual([]);
    expect(await deadLetters()).toContainEqual(
      expect.objectContaining({ topic: `iot/inventory/${isbn}/delta`, payload, reason: expect.stringMatching(reason) }),
    );
  });

  it("dead-letters a report for an ISBN no product has", async () => {
    const payload = report({ delta: -1, sequence: 9 });
    const outcome = await publish("9799999999990", payload);
    expect(outcome).toEqual({ kind: "dead-lettered", reason: 'no product has the ISBN-13 "9799999999990"' });
    expect(await deadLetters()).toContainEqual(expect.objectContaining({ topic: "iot/inventory/9799999999990/delta" }));
  });

  it("receives what devices sent while it was disconnected when it reconnects, each report once", async () => {
    const { productId, isbn } = await stockedProduct(platform, 3);
    const before = await onHand(platform, productId);
    // The broker keeps the persistent session's QoS 1 messages while its client is away.
    await feed.close();
    const backlog = [11, 12, 13].map((sequence) => report({ delta: -1, sequence, deviceId: "dock-gate-2" }));
    for (const payload of backlog) await device.publishAsync(`iot/inventory/${isbn}/delta`, payload, { qos: 1 });
    feed = await startMqttFeed({ url: broker.url, feeds: platform.feeds, log: quiet, clientId: FEED_CLIENT });
    // The backlog may arrive before startMqttFeed even resolves: wait on the log, not on the feed's batch events.
    await untilAdjusted(productId, 3);
    await feed.idle();
    await platform.settle();
    expect(await onHand(platform, productId)).toBe(before - 3);
    expect(await adjustedEvents(productId)).toHaveLength(3);
  });
});
