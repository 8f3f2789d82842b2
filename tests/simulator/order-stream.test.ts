import { once } from "node:events";
import { request as httpRequest } from "node:http";
import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

// GET /ws/orders over real sockets: the `ws` client against `platform.listen(0)`, every context of the platform.

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };
let platform: Platform;
let baseUrl: string;
let socketUrl: string;
let closed = false;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 11, log: quiet });
  baseUrl = await platform.listen(0);
  socketUrl = `${baseUrl.replace(/^http/, "ws")}/ws/orders`;
});
afterAll(async () => {
  if (!closed) await platform.close();
});

interface Shopper {
  readonly client: EcomClient;
  readonly token: string;
  readonly customerId: string;
}

async function login(email: string, password: string): Promise<Shopper> {
  const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
  const { data, error } = await anonymous.customer.login({ body: { email, password } });
  if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
  return {
    client: createClient({ baseUrl, token: data.accessToken, retry: { maxAttempts: 1 } }),
    token: data.accessToken,
    customerId: data.customerId,
  };
}

async function register(index: number): Promise<Shopper> {
  const email = `streamer${index}.${Date.now()}@example.com`;
  const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
  const { error } = await anonymous.customer.registerCustomer({
    body: { email, password: "a-long-enough-password", firstName: "Stream", lastName: `Number${index}` },
  });
  if (error) throw new Error(`register failed: ${JSON.stringify(error)}`);
  const shopper = await login(email, "a-long-enough-password");
  const { error: addressError } = await shopper.client.customer.addMyAddress({
    body: {
      label: "HOME",
      isDefault: true,
      address: {
        name: `Stream ${index}`,
        line1: "1 Test Street",
        city: "Springfield",
        postalCode: "12345",
        country: "US",
      },
    },
  });
  if (addressError) throw new Error(`address failed: ${JSON.stringify(addressError)}`);
  return shopper;
}

const admin = () => login(devAccounts.admin.email, devAccounts.admin.password);

/** A seeded product with plenty of stock. */
async function aProduct(): Promise<string> {
  const { client } = await admin();
  const { data: page } = await client.catalog.listProducts({ params: { query: { limit: 5 } } });
  const productId = page!.items[0]!.productId;
  await client.inventory.adjustStock({
    params: { path: { productId } },
    body: { delta: 50, reason: "CORRECTION", note: "order stream test" } as never,
  });
  return productId;
}

/** Check out one copy of `productId` through the SDK; resolves with the paid order's id. */
async function checkout(shopper: Shopper, productId: string): Promise<string> {
  const { client } = shopper;
  const { data: cart } = await client.cart.createCart({ body: {} });
  await client.cart.addCartItem({ params: { path: { cartId: cart!.cartId } }, body: { productId, quantity: 1 } });
  const { data: method } = await client.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Stream Shopper" },
  });
  const { data: addresses } = await client.customer.listMyAddresses({});
  const accepted = await client.cart.checkoutCart({
    params: { path: { cartId: cart!.cartId } },
    body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
  });
  if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
  await platform.settle();
  const { data: view } = await client.order.getCheckout({
    params: { path: { checkoutId: accepted.data.checkoutId } },
  });
  if (view?.state !== "COMPLETED" || !view.orderId) throw new Error(`checkout ended ${JSON.stringify(view)}`);
  return view.orderId;
}

/** An admin moves an order one step along fulfilment, publishing its order event. */
async function advance(orderId: string, status: "FULFILLED" | "SHIPPED" | "DELIVERED"): Promise<void> {
  const { client } = await admin();
  const { error } = await client.order.updateOrderStatus({
    params: { path: { orderId } },
    body: status === "SHIPPED" ? { status, carrier: "ups", trackingNumber: "1Z999AA1" } : { status },
  });
  if (error) throw new Error(`status change failed: ${JSON.stringify(error)}`);
  await platform.settle();
}

type Received = Record<string, unknown> & { payload?: Record<string, unknown> };

/** An open socket and every JSON message it received so far. */
interface OpenSocket {
  readonly socket: WebSocket;
  readonly received: Received[];
  /** The first message (from `from` on) that matches, waiting up to 5 s for it. */
  until(matches: (message: Received) => boolean, from?: number): Promise<Received>;
  send(message: unknown): void;
}

async function openSocket(query = "", headers: Record<string, string> = {}): Promise<OpenSocket> {
  const socket = new WebSocket(`${socketUrl}${query}`, { headers });
  const received: Received[] = [];
  socket.on("message", (data) => received.push(JSON.parse(String(data)) as Received));
  await once(socket, "open");
  return {
    socket,
    received,
    async until(matches, from = 0) {
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
        const found = received.slice(from).find(matches);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`no matching message; received ${JSON.stringify(received.slice(from), null, 1)}`);
    },
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
  };
}

const bearer = (shopper: Shopper) => ({ authorization: `Bearer ${shopper.token}` });
const event = (type: string, orderId?: string) => (message: Received) =>
  message.eventType === `ecommerce.order.order.${type}.v1` &&
  (orderId === undefined || message.payload?.orderId === orderId);

/** Attempt a handshake that the server refuses; resolves with its plain HTTP answer. */
function refusedHandshake(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on("error", () => {});
    socket.on("open", () => {
      socket.terminate();
      reject(new Error("the handshake was accepted"));
    });
    socket.on("unexpected-response", (_request, response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: response.headers["content-type"],
          body: JSON.parse(text) as Record<string, unknown>,
        }),
      );
    });
  });
}

let productId: string;
let first: Shopper;
let second: Shopper;
let firstOrder: string;
let secondOrder: string;

describe("GET /ws/orders", () => {
  it("sends a customer order.created and order.paid of their own checkout and nothing of another's; an admin all", async () => {
    productId = await aProduct();
    [first, second] = [await register(1), await register(2)];
    const firstSocket = await openSocket("", bearer(first));
    const secondSocket = await openSocket("", bearer(second));
    const adminSocket = await openSocket("", bearer(await admin()));

    // The second customer checks out first: whatever reached the first one's socket of it would come before its own.
    secondOrder = await checkout(second, productId);
    firstOrder = await checkout(first, productId);

    await firstSocket.until(event("paid", firstOrder));
    await secondSocket.until(event("paid", secondOrder));
    expect(firstSocket.received.map((message) => message.eventType)).toEqual([
      "ecommerce.order.order.created.v1",
      "ecommerce.order.order.paid.v1",
    ]);
    expect(firstSocket.received.every((message) => message.payload?.customerId === first.customerId)).toBe(true);
    expect(secondSocket.received.map((message) => message.payload?.orderId)).toEqual([secondOrder, secondOrder]);

    // The full envelope, with its payload, as the log holds it.
    const created = firstSocket.received[0]!;
    expect(created).toMatchObject({
      producer: "order",
      payload: { orderId: firstOrder, customerId: first.customerId },
    });
    const flow = await platform.eventLog.read({ afterSeq: 0, correlationId: created.correlationId as string });
    const logged = flow.find((entry) => entry.eventId === created.eventId);
    expect(created).toEqual(JSON.parse(logged!.envelope));

    await adminSocket.until(event("paid", firstOrder));
    expect(adminSocket.received.filter(event("paid")).map((message) => message.payload?.orderId)).toEqual([
      secondOrder,
      firstOrder,
    ]);
    for (const { socket } of [firstSocket, secondSocket, adminSocket]) socket.close();
  });

  it("with ?orderId= carries only that order", async () => {
    const otherOrder = await checkout(first, productId);
    const narrowed = await openSocket(`?orderId=${firstOrder}`, bearer(first));
    await advance(otherOrder, "FULFILLED");
    await advance(firstOrder, "FULFILLED");
    await narrowed.until(event("fulfilled", firstOrder));
    expect(narrowed.received.map((message) => message.payload?.orderId)).toEqual([firstOrder]);
    narrowed.socket.close();
  });

  it("follows the orders a client subscribes to, stops on unsubscribe, and answers mistakes with error messages", async () => {
    const socket = await openSocket("", bearer(second));
    const thirdOrder = await checkout(second, productId);
    const seen = socket.received.length;

    socket.send({ action: "subscribe", orderId: thirdOrder });
    await socket.until((message) => message.action === "subscribed" && message.orderId === thirdOrder, seen);
    await advance(secondOrder, "FULFILLED");
    await advance(thirdOrder, "FULFILLED");
    await socket.until(event("fulfilled", thirdOrder), seen);
    expect(socket.received.slice(seen).filter(event("fulfilled"))).toHaveLength(1);

    socket.send({ action: "unsubscribe", orderId: thirdOrder });
    socket.send({ action: "subscribe", orderId: secondOrder });
    await socket.until((message) => message.action === "subscribed" && message.orderId === secondOrder, seen);
    const resubscribed = socket.received.length;
    await advance(thirdOrder, "SHIPPED");
    await advance(secondOrder, "SHIPPED");
    await socket.until(event("shipped", secondOrder), resubscribed);
    expect(socket.received.slice(resubscribed).filter(event("shipped"))).toHaveLength(1);

    const mistakes: [string, unknown, string][] = [
      ["another customer's order", { action: "subscribe", orderId: firstOrder }, "not_found"],
      ["an order that does not exist", { action: "subscribe", orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R" }, "not_found"],
      ["text that is not JSON", "subscribe me", "validation"],
      ["an unknown action", { action: "follow", orderId: secondOrder }, "validation"],
      ["a subscribe without an orderId", { action: "subscribe" }, "validation"],
    ];
    for (const [name, message, code] of mistakes) {
      const before = socket.received.length;
      socket.send(message);
      const answer = await socket.until((received) => received.action === "error", before);
      expect(answer, name).toMatchObject({ code, type: `https://ecom.dev/problems/${code}` });
    }
    // Still open, and still following only what it chose.
    expect(socket.socket.readyState).toBe(WebSocket.OPEN);
    const after = socket.received.length;
    await advance(firstOrder, "SHIPPED");
    await advance(secondOrder, "DELIVERED");
    await socket.until(event("delivered", secondOrder), after);
    expect(socket.received.slice(after).map((message) => message.payload?.orderId)).toEqual([secondOrder]);
    socket.socket.close();
  });

  it("takes the token from the access_token query parameter", async () => {
    const socket = await openSocket(`?access_token=${first.token}`);
    socket.send({ action: "subscribe", orderId: firstOrder });
    expect(await socket.until((message) => message.action !== undefined)).toEqual({
      action: "subscribed",
      orderId: firstOrder,
    });
    socket.socket.close();
  });

  it.each([
    ["no token", () => "", () => ({}), 401, "unauthenticated"],
    ["a token that is not valid", () => "", () => ({ authorization: "Bearer not.a.jwt" }), 401, "unauthenticated"],
    ["an access_token that is not valid", () => "?access_token=a.b.c", () => ({}), 401, "unauthenticated"],
    ["an orderId that is not an order id", () => "?orderId=nope", () => bearer(first), 400, "validation"],
    ["another customer's order", () => `?orderId=${secondOrder}`, () => bearer(first), 404, "not_found"],
  ])("refuses a handshake with %s before the upgrade", async (_name, query, headers, status, code) => {
    const answer = await refusedHandshake(`${socketUrl}${query()}`, headers());
    expect(answer.status).toBe(status);
    expect(answer.contentType).toContain("application/problem+json");
    expect(answer.body).toMatchObject({ status, code });
  });

  it("refuses a handshake for a path that has no WebSocket operation with 404", async () => {
    const answer = await refusedHandshake(`${baseUrl.replace(/^http/, "ws")}/orders`, bearer(first));
    expect(answer).toMatchObject({ status: 404, body: { code: "not_found" } });
  });

  it("answers a request that cannot upgrade (in-process, or plain HTTP) with 426 upgrade_required", async () => {
    const inProcess = await platform.handle({
      method: "GET",
      url: "/ws/orders",
      headers: { authorization: `Bearer ${first.token}` },
      body: "",
    });
    const overHttp = await fetch(`${baseUrl}/ws/orders`, { headers: bearer(first) });
    for (const answer of [
      { status: inProcess.status, upgrade: inProcess.headers.upgrade, body: JSON.parse(inProcess.body) },
      { status: overHttp.status, upgrade: overHttp.headers.get("upgrade"), body: await overHttp.json() },
    ]) {
      expect(answer).toMatchObject({
        status: 426,
        upgrade: "websocket",
        body: { status: 426, code: "upgrade_required", type: "https://ecom.dev/problems/upgrade_required" },
      });
    }
  });

  it("still serves a request that asks to upgrade to something else (h2c) as plain HTTP/1.1", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${baseUrl}/healthz`, {
        headers: { connection: "Upgrade, HTTP2-Settings", upgrade: "h2c", "http2-settings": "AAMAAABkAAQAAP__" },
      });
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on("error", reject);
      request.end();
    });
    expect(status).toBe(200);
  });

  it("closes every open socket when the platform closes", async () => {
    const socket = await openSocket("", bearer(first));
    const closing = once(socket.socket, "close");
    await platform.close();
    closed = true;
    const [code] = (await closing) as [number, Buffer];
    expect(code).toBe(1001);
  });
});
