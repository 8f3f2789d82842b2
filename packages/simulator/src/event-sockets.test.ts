import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SocketSource } from "@ecom/services/platform";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createEmbeddedBus } from "./bus/embedded-bus.js";
import { EventLog } from "./event-log.js";
import { createEventSockets, type EventSockets } from "./event-sockets.js";
import { RestRouter } from "./gateway/rest-router.js";
import { createSeededRandom } from "./seeded-random.js";
import { createTokenService } from "./token-service.js";
import { createUlidIds } from "./ulid-ids.js";
import { VirtualClock } from "./virtual-clock.js";

// The runtime side of WebSocket operations, with a toy source: nothing here knows about orders but the route.

const quiet = { info() {}, warn() {}, error() {} };
const PRODUCT_CREATED = "ecommerce.catalog.product.created.v1";

/** A source of product events that follows chosen products, or every one before any is chosen. */
const productSource: SocketSource = {
  types: [PRODUCT_CREATED],
  subscriptionKey: "productId",
  async authorize() {},
  accepts: (message, { subscriptions }) =>
    subscriptions === undefined || subscriptions.has((message.payload as { productId: string }).productId),
};

let server: Server | undefined;
let sockets: EventSockets | undefined;
let eventLog: EventLog | undefined;
afterEach(async () => {
  await sockets?.close();
  server?.close();
  await eventLog?.close();
});

async function start(timers: { pingIntervalMs?: number; idleTimeoutMs?: number } = {}) {
  const clock = new VirtualClock();
  const ids = createUlidIds(clock, createSeededRandom(1));
  const tokens = createTokenService(randomBytes(32), clock, ids);
  eventLog = await EventLog.open(":memory:");
  sockets = createEventSockets({
    eventLog: createEmbeddedBus(eventLog),
    router: new RestRouter(),
    // The order contract's socket operation routes here; the source behind it is the toy one.
    sourceOf: (context, operationId) =>
      context === "order" && operationId === "streamOrders" ? productSource : undefined,
    tokens,
    ids,
    log: quiet,
    ...timers,
  });
  server = createServer();
  server.on("upgrade", sockets.upgrade);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/orders`;
  const token = tokens.issue(
    { customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role: "customer" },
    { expiresInSeconds: 600 },
  );
  const log = eventLog;
  return {
    async connect(options: { autoPong?: boolean } = {}) {
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, ...options });
      const received: Record<string, unknown>[] = [];
      socket.on("message", (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
      await once(socket, "open");
      return { socket, received };
    },
    async append(productId: string, eventType: string = PRODUCT_CREATED) {
      const eventId = ids.next("evt");
      const envelope = { eventId, eventType, producer: "catalog", correlationId: "cor_1", payload: { productId } };
      await log.append([
        { eventId, eventType, producer: "catalog", correlationId: "cor_1", envelope: JSON.stringify(envelope) },
      ]);
    },
  };
}

async function eventually(check: () => void): Promise<void> {
  for (const deadline = Date.now() + 3_000; ; ) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe("createEventSockets", () => {
  it("sends each new event of the source's types that it accepts, as the envelope, to the connections it accepts", async () => {
    const platform = await start();
    const everything = await platform.connect();
    const chosen = await platform.connect();
    chosen.socket.send(JSON.stringify({ action: "subscribe", productId: "prd_b" }));
    await eventually(() => expect(chosen.received).toEqual([{ action: "subscribed", productId: "prd_b" }]));

    await platform.append("prd_a");
    await platform.append("prd_b", "ecommerce.catalog.product.updated.v1");
    await platform.append("prd_b");

    await eventually(() => expect(everything.received).toHaveLength(2));
    await eventually(() => expect(chosen.received).toHaveLength(2));
    const productIds = (received: Record<string, unknown>[]) =>
      received.map((message) => (message.payload as { productId?: string } | undefined)?.productId);
    expect(productIds(everything.received)).toEqual(["prd_a", "prd_b"]);
    expect(chosen.received[1]).toMatchObject({ eventType: PRODUCT_CREATED, payload: { productId: "prd_b" } });
  });

  it("terminates a socket that stays silent through the idle timeout, and keeps one that answers the pings", async () => {
    // No clock is read here: the answering socket connects first, so by the time the silent one's idle timer has
    // fired, the answering one has lived through a whole idle timeout of its own and is open only because the
    // pings were answered. The timeout is generous so a busy machine cannot starve the pongs of a whole period.
    const platform = await start({ pingIntervalMs: 20, idleTimeoutMs: 1_000 });
    const answering = await platform.connect();
    const pongs: number[] = [];
    answering.socket.on("ping", () => pongs.push(pongs.length));
    const silent = await platform.connect({ autoPong: false });
    const [code] = (await once(silent.socket, "close")) as [number];
    expect(code).toBe(1006);
    expect(pongs.length).toBeGreaterThan(0);
    expect(answering.socket.readyState).toBe(WebSocket.OPEN);
  });

  it("closes open sockets with 1001 and refuses new handshakes once closed", async () => {
    const platform = await start();
    const open = await platform.connect();
    const closed = once(open.socket, "close");
    await sockets!.close();
    expect(((await closed) as [number])[0]).toBe(1001);
    await expect(platform.connect()).rejects.toThrow(/503/);
  });
});
