import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, type EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import { REDACTED_FIELDS } from "@ecom/services/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type SecurityKit, startKit } from "./security-kit.js";

// Finding 2's second half: card tokens appeared in cart.checked_out events, which /_sim/log served without a token.
// The events inside the platform keep the token (the Checkout Saga pays with it; payment refuses it to anyone but
// its owner), and every way out of the platform to someone who is not an admin serves it redacted.

const CHECKED_OUT = "ecommerce.cart.cart.checked_out.v1";
const REDACTED = /^tok_redacted_[0-9A-Z]{4}$/;

let kit: SecurityKit;
let adminToken: string;
let shopper: EcomClient;
let paymentToken: string;
let checkoutId: string;
let partner: Server;
const partnerBodies: string[] = [];

async function login(email: string, password: string): Promise<string> {
  const answer = await fetch(`${kit.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  return ((await answer.json()) as { accessToken: string }).accessToken;
}

/** Check out a cart with one book; resolves once the saga has finished. */
async function checkOut(): Promise<string> {
  const { data: products } = await shopper.catalog.listProducts({ params: { query: { limit: 1 } } });
  const { data: cart } = await shopper.cart.createCart({ body: {} });
  await shopper.cart.addCartItem({
    params: { path: { cartId: cart!.cartId } },
    body: { productId: products!.items[0]!.productId, quantity: 1 },
  });
  const { data: addresses } = await shopper.customer.listMyAddresses({});
  const { data: checkout } = await shopper.cart.checkoutCart({
    params: { path: { cartId: cart!.cartId } },
    body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken },
  });
  await kit.platform.settle();
  return checkout!.checkoutId;
}

beforeAll(async () => {
  kit = await startKit();
  adminToken = await login(devAccounts.admin.email, devAccounts.admin.password);
  shopper = createClient({
    baseUrl: kit.url,
    token: await login(devAccounts.customer.email, devAccounts.customer.password),
    retry: { maxAttempts: 1 },
  });
  const { data: method } = await shopper.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Casey" },
  });
  paymentToken = method!.paymentToken;

  // A partner that subscribed to checkouts (loopback http is allowed for webhooks).
  partner = createServer((request: IncomingMessage, response) => {
    let body = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      body += chunk;
    });
    request.on("end", () => {
      partnerBodies.push(body);
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => partner.listen(0, "127.0.0.1", resolve));
  const subscribed = await fetch(`${kit.url}/webhooks/subscriptions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
    body: JSON.stringify({
      url: `http://127.0.0.1:${(partner.address() as AddressInfo).port}/hooks`,
      eventTypes: [CHECKED_OUT],
    }),
  });
  expect(subscribed.status).toBe(201);
  checkoutId = await checkOut();
});
afterAll(async () => {
  partner?.close();
  await kit.close();
});

/** The paymentToken of every cart.checked_out in `/_sim/log`, read with `authorization` (or none). */
async function loggedTokens(authorization?: string): Promise<string[]> {
  const answer = await fetch(`${kit.url}/_sim/log?types=${CHECKED_OUT}`, {
    headers: authorization ? { authorization } : {},
  });
  const { events } = (await answer.json()) as { events: { payload: { paymentToken: string } }[] };
  return events.map((event) => event.payload.paymentToken);
}

/** The paymentToken of the first cart.checked_out that `/_sim/events?since=0` streams, read with `authorization`. */
async function streamedToken(authorization?: string): Promise<string> {
  const abort = new AbortController();
  const answer = await fetch(`${kit.url}/_sim/events?since=0&types=${CHECKED_OUT}`, {
    headers: authorization ? { authorization } : {},
    signal: abort.signal,
  });
  const decoder = new TextDecoder();
  let text = "";
  let data: string | undefined;
  for await (const chunk of answer.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    data = /^data: (.+)$/m.exec(text)?.[1];
    if (data) break;
  }
  abort.abort();
  if (!data) throw new Error("the stream ended without a cart.checked_out");
  return (JSON.parse(data) as { payload: { paymentToken: string } }).payload.paymentToken;
}

describe("payment tokens in cart.checked_out events", () => {
  it("were served by /_sim/log without a token; now redacted there, and still whole for an admin", async () => {
    const anonymous = await loggedTokens();
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]).toMatch(REDACTED);
    expect(anonymous[0]).not.toBe(paymentToken);
    expect(anonymous[0]!.slice(-4)).toBe(paymentToken.slice(-4));
    const customer = await loggedTokens(`Bearer ${kit.token(`cus_${"0".repeat(26)}`)}`);
    expect(customer[0]).toMatch(REDACTED);
    expect(await loggedTokens(`Bearer ${adminToken}`)).toEqual([paymentToken]);
  });

  it("are redacted in /_sim/events for anyone but an admin", async () => {
    expect(await streamedToken()).toMatch(REDACTED);
    expect(await streamedToken(`Bearer ${adminToken}`)).toBe(paymentToken);
  });

  it("are redacted in what a partner webhook receives", async () => {
    const deadline = Date.now() + 10_000;
    while (partnerBodies.length === 0 && Date.now() < deadline) {
      await kit.platform.settle();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(partnerBodies).toHaveLength(1);
    const delivered = JSON.parse(partnerBodies[0]!) as { eventType: string; payload: { paymentToken: string } };
    expect(delivered.eventType).toBe(CHECKED_OUT);
    expect(delivered.payload.paymentToken).toMatch(REDACTED);
  });

  it("still pay for the order: the saga reads the token inside the platform", async () => {
    const { data: checkout } = await shopper.order.getCheckout({ params: { path: { checkoutId } } });
    expect(checkout!.state).toBe("COMPLETED");
    const { data: order } = await shopper.order.getOrder({ params: { path: { orderId: checkout!.orderId! } } });
    expect(order!.status).toBe("PAID");
  });
});

describe("the redaction table", () => {
  /** Every `x-redacted: true` payload property of the AsyncAPI contracts, as `eventType → [property]`. */
  function markedInContracts(): Record<string, string[]> {
    const marked: Record<string, string[]> = {};
    const folder = new URL("../../contracts/asyncapi/", import.meta.url);
    for (const file of readdirSync(folder).filter((name) => name.endsWith(".yaml"))) {
      const document = parse(readFileSync(new URL(file, folder), "utf8")) as {
        components?: {
          messages?: Record<string, { name: string; payload?: { $ref?: string } }>;
          schemas?: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
        };
      };
      for (const message of Object.values(document.components?.messages ?? {})) {
        const schemaName = message.payload?.$ref?.replace("#/components/schemas/", "");
        const properties = document.components?.schemas?.[schemaName ?? ""]?.properties ?? {};
        for (const [name, property] of Object.entries(properties)) {
          const tokenShaped =
            /tok_/.test(String(property.pattern ?? "")) || /PaymentToken$/.test(String(property.$ref ?? ""));
          // A field that carries a card token must be marked; the table follows the marks.
          if (tokenShaped) expect(property["x-redacted"], `${message.name} ${name}`).toBe(true);
          if (property["x-redacted"] === true) marked[message.name] = [...(marked[message.name] ?? []), name];
        }
      }
    }
    return marked;
  }

  it("redacts exactly the fields the contracts mark x-redacted, and every card token is marked", () => {
    expect(REDACTED_FIELDS).toEqual(markedInContracts());
  });
});
