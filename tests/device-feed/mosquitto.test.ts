import type { MessageOf } from "@ecom/sdk";
import { type MqttFeed, type Platform, startMqttFeed } from "@ecom/simulator";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressOf, reachable } from "../backends/probe.js";
import { quiet } from "../simulator/shop.js";
import { onHand, outcomeOf, report, seededPlatform, stockedProduct } from "./feed-kit.js";

// The MQTT stock feed against a real broker: the machine's Mosquitto (ECOM_MQTT_URL, default mqtt://127.0.0.1:1883),
// as `ecom sim up --mqtt` uses it. Skipped with a one-line reason when nothing answers there; CI sets
// ECOM_MQTT_REQUIRED=1 (.ci/run), which turns the skip into a failure.

const BROKER = process.env.ECOM_MQTT_URL ?? "mqtt://127.0.0.1:1883";
const required = process.env.ECOM_MQTT_REQUIRED === "1";

const broker = addressOf(BROKER, 1883);
const hasBroker = await reachable(broker.host, broker.port);
if (!hasBroker && !required)
  process.stderr.write(
    `MQTT broker test skipped: nothing answers at ${BROKER} (start Mosquitto, or set ECOM_MQTT_URL)\n`,
  );

// The broker is shared (other simulators and test runs may subscribe to the same topics): this run's device and
// feed client ids are its own, its feed starts a clean session, and it picks its product by process id, so two
// runs at once rarely count on the same product.
const run = `${process.pid}`;
let platform: Platform;
let feed: MqttFeed;
let device: MqttClient;

beforeAll(async () => {
  if (!hasBroker) return;
  platform = await seededPlatform();
  feed = await startMqttFeed({
    url: BROKER,
    feeds: platform.feeds,
    log: quiet,
    clientId: `ecom-test-feed-${run}`,
    cleanSession: true,
  });
  device = await connectAsync(BROKER, { clientId: `ecom-test-device-${run}`, reconnectPeriod: 0 });
}, 60_000);

afterAll(async () => {
  await device?.endAsync();
  await feed?.close();
  await platform?.close();
});

describe.skipIf(!hasBroker && !required)("the MQTT stock feed on the machine's Mosquitto", () => {
  it("is reachable (ECOM_MQTT_REQUIRED=1 makes a missing broker a failure)", () => {
    expect(hasBroker, `no MQTT broker answers at ${BROKER}`).toBe(true);
  });

  it("applies a delta published with QoS 1 (stock level and stock.adjusted) and dead-letters a malformed one", async () => {
    const { productId, isbn } = await stockedProduct(platform, process.pid % 20);
    const topic = `iot/inventory/${isbn}/delta`;
    const deviceId = `test-scale-${run}`;
    const before = await onHand(platform, productId);

    const good = report({ delta: -2, sequence: 1, deviceId });
    const accepted = outcomeOf(feed, good);
    await device.publishAsync(topic, good, { qos: 1 });
    expect(await accepted).toEqual({ kind: "accepted" });
    await platform.settle();
    expect(await onHand(platform, productId)).toBe(before - 2);
    const adjusted = (
      await platform.eventLog.read({ afterSeq: 0, types: ["ecommerce.inventory.stock.adjusted.v1"], limit: 10_000 })
    )
      .map((event) => JSON.parse(event.envelope) as MessageOf<"ecommerce.inventory.stock.adjusted.v1">)
      .filter((event) => event.payload.deviceId === deviceId);
    expect(adjusted.map((event) => event.payload)).toEqual([
      expect.objectContaining({ productId, delta: -2, source: "DEVICE", onHand: before - 2 }),
    ]);

    const bad = JSON.stringify({ delta: "-2", reason: "SENSOR", deviceId, sequence: 2 });
    const refused = outcomeOf(feed, bad);
    await device.publishAsync(topic, bad, { qos: 1 });
    expect(await refused).toMatchObject({ kind: "dead-lettered", reason: expect.stringMatching(/\/delta/) });
    await platform.settle();
    expect(await onHand(platform, productId)).toBe(before - 2);
  });
});
