import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { SpanStatusCode } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quiet, type Shopper, shopAt } from "./shop.js";

// A card token is `x-redacted` outside the platform, and an OTLP collector or a reader of /_sim/traces is outside:
// a failed span says the error's code, never its message. Paying with a token another customer was issued fails
// in Payment's Authorize, whose message once named the token.

let platform: Platform;
let shop: ReturnType<typeof shopAt>;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  platform = await createPlatform({
    contexts: allContexts,
    memory: true,
    seed: 12,
    log: quiet,
    tracing: { exporters: [exporter], keepSpans: 10_000 },
  });
  shop = shopAt(platform);
});
afterAll(async () => {
  await platform.close();
});

/** A token tokenized by a customer other than the one who will use it. */
async function someoneElsesToken(): Promise<string> {
  const owner = await shop.register();
  const { data } = await owner.client.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Card Owner" },
  });
  return data!.paymentToken;
}

/** A cart of one seeded book, checked out with `paymentToken`; answers once every event was delivered. */
async function checkOutWith(shopper: Shopper, paymentToken: string) {
  const { client } = shopper;
  const { data: products } = await client.catalog.listProducts({ params: { query: { limit: 5 } } });
  const { data: cart } = await client.cart.createCart({ body: {} });
  await client.cart.addCartItem({
    params: { path: { cartId: cart!.cartId } },
    body: { productId: products!.items[0]!.productId, quantity: 1 },
  });
  const { data: addresses } = await client.customer.listMyAddresses({});
  const accepted = await client.cart.checkoutCart({
    params: { path: { cartId: cart!.cartId } },
    body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken },
  });
  await platform.settle();
  return accepted;
}

/** Everything a span carries to an exporter besides its name and ids. */
const told = (span: ReadableSpan) =>
  JSON.stringify({ attributes: span.attributes, status: span.status, events: span.events, links: span.links });

describe("a failed span", () => {
  it("records the error's code, not its message: a token never issued to the customer stays out of every span", async () => {
    const token = await someoneElsesToken();
    const shopper = await shop.register();
    exporter.reset();
    await checkOutWith(shopper, token);
    await platform.flushTraces();
    const spans = exporter.getFinishedSpans();
    const failed = spans.filter((span) => span.status.code === SpanStatusCode.ERROR);
    const authorize = failed.find(
      (span) =>
        span.name === "ecom.payment.v1.PaymentService/Authorize" && span.attributes["rpc.connect_rpc.error_code"],
    );
    expect(authorize?.attributes["rpc.connect_rpc.error_code"]).toBe("invalid_argument");
    expect(authorize?.status.message).toBe(authorize?.attributes["error.type"]);
    for (const span of spans) {
      expect(told(span)).not.toContain(token);
      expect(span.events.filter((event) => event.name === "exception")).toEqual([]);
    }
    const kept = await platform.fetch(new Request(`http://ecom.test/_sim/traces/${authorize!.spanContext().traceId}`));
    expect(kept.status).toBe(200);
    expect(await kept.text()).not.toContain(token);
  });

  it("leaves the token out of the REST problem too, which still says what is wrong and points at it", async () => {
    const token = await someoneElsesToken();
    const shopper = await shop.register();
    exporter.reset();
    const { error, response } = await shopper.client.payment.createPayment({
      params: { header: { "Idempotency-Key": `pay-${token.slice(-6)}` } },
      body: {
        orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R",
        amount: { amount: 1000, currency: "USD" },
        paymentToken: token,
      },
    });
    expect(response.status).toBe(404);
    const problem = JSON.stringify(error);
    expect(problem).not.toContain(token);
    expect(problem).toContain("never issued to this customer");
    expect(problem).toContain("/paymentToken");
    await platform.flushTraces();
    for (const span of exporter.getFinishedSpans()) expect(told(span)).not.toContain(token);
  });
});
