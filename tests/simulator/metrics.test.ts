import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWebhookReceiver } from "../notification/webhook-receiver.js";
import { quiet, shopAt } from "./shop.js";

// GET /metrics in Prometheus' text format, read back with a third-party parser: seed 004's business metrics grow
// with what happens, and the runtime's own show requests by operation, relay and subscription lag.

interface Family {
  readonly name: string;
  readonly type: string;
  readonly metrics: readonly { readonly value?: string; readonly labels?: Record<string, string> }[];
}

let platform: Platform;
let url: string;
let shop: ReturnType<typeof shopAt>;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 7, log: quiet });
  url = await platform.listen(0);
  shop = shopAt(platform);
});
afterAll(async () => {
  await platform.close();
});

async function scrape(): Promise<Map<string, Family>> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  const families = parsePrometheusTextFormat(await response.text()) as Family[];
  return new Map(families.map((family) => [family.name, family]));
}

/** The value of the sample of `name` whose labels include `labels` (0 when there is none yet). */
function sampleOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  if (!family) throw new Error(`no metric ${name} in /metrics`);
  const sample = family.metrics.find((metric) =>
    Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value),
  );
  return Number(sample?.value ?? 0);
}

describe("GET /metrics", () => {
  it("counts one more order created per checkout", async () => {
    const shopper = await shop.register();
    const before = sampleOf(await scrape(), "orders_created_total");
    await shop.paidOrder(shopper);
    const once = await scrape();
    expect(sampleOf(once, "orders_created_total")).toBe(before + 1);
    await shop.paidOrder(shopper, { index: 1 });
    expect(sampleOf(await scrape(), "orders_created_total")).toBe(before + 2);
    // Each checkout's time from cart.checked_out to order.created is observed once.
    const latency = once.get("order_creation_latency_ms");
    expect(latency?.type).toBe("HISTOGRAM");
  });

  it("counts a refused reservation", async () => {
    const before = sampleOf(await scrape(), "inventory_reservation_failures_total");
    const shopper = await shop.register();
    const { data: products } = await shopper.client.catalog.listProducts({ params: { query: { limit: 1 } } });
    const productId = products!.items[0]!.productId;
    const { data: level } = await shopper.client.inventory.getStockLevel({ params: { path: { productId } } });
    // The warehouse writes off all but one copy; the shopper then asks for two.
    const { client: ops } = await shop.admin();
    const { error } = await ops.inventory.adjustStock({
      params: { path: { productId } },
      body: { delta: 1 - level!.available, reason: "DAMAGE" },
    });
    expect(error).toBeUndefined();
    const { data: cart } = await shopper.client.cart.createCart({ body: {} });
    await shopper.client.cart.addCartItem({
      params: { path: { cartId: cart!.cartId } },
      body: { productId, quantity: 2 },
    });
    const { data: method } = await shopper.client.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Test Shopper" },
    });
    const { data: addresses } = await shopper.client.customer.listMyAddresses({});
    await shopper.client.cart.checkoutCart({
      params: { path: { cartId: cart!.cartId } },
      body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
    });
    await platform.settle();
    expect(sampleOf(await scrape(), "inventory_reservation_failures_total")).toBe(before + 1);
  });

  it("counts webhook attempts after the first", async () => {
    const partner = await startWebhookReceiver((index) => (index < 1 ? 503 : 200));
    try {
      const { client: ops } = await shop.admin();
      await ops.notification.createWebhookSubscription({
        body: { url: partner.url, eventTypes: ["ecommerce.order.order.created.v1"] },
      });
      const before = sampleOf(await scrape(), "webhook_retry_attempts_total");
      await shop.paidOrder(await shop.register(), { index: 2 });
      await platform.settle();
      expect(partner.received).toHaveLength(1);
      expect(sampleOf(await scrape(), "webhook_retry_attempts_total")).toBe(before);
      await platform.advanceClock(30_000);
      await platform.settle();
      expect(partner.received).toHaveLength(2);
      expect(sampleOf(await scrape(), "webhook_retry_attempts_total")).toBe(before + 1);
    } finally {
      partner.release(200);
      await partner.close();
    }
  });

  it("counts requests on the port by operation and status, never by raw path", async () => {
    await fetch(`${url}/products?limit=1`);
    await fetch(`${url}/products/prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A`);
    await fetch(`${url}/products/not-an-id`);
    await fetch(`${url}/ecom.nothing.v1.Nowhere/Call`, { method: "POST" });
    await fetch(`${url}/no/such/path/at/all`, { method: "DELETE" });
    const families = await scrape();
    expect(
      sampleOf(families, "ecom_http_requests_total", { operation: "listProducts", status: "200" }),
    ).toBeGreaterThan(0);
    expect(sampleOf(families, "ecom_http_requests_total", { operation: "getProduct", status: "404" })).toBeGreaterThan(
      0,
    );
    expect(sampleOf(families, "ecom_http_requests_total", { operation: "getProduct", status: "400" })).toBeGreaterThan(
      0,
    );
    const operations = new Set(
      families.get("ecom_http_requests_total")!.metrics.map((metric) => metric.labels?.operation),
    );
    expect([...operations].some((operation) => operation?.includes("/no/such") || operation?.includes("Nowhere"))).toBe(
      false,
    );
    expect(operations.has("unknown")).toBe(true);
  });

  it("shows each context's relay and subscription lag and dead letters", async () => {
    await platform.settle();
    const families = await scrape();
    for (const name of ["ecom_relay_pending_events", "ecom_subscription_lag_events", "ecom_dead_letters"]) {
      const contexts = families.get(name)!.metrics.map((metric) => metric.labels?.context);
      expect(contexts).toEqual(expect.arrayContaining(["order", "inventory", "notification"]));
      // Settled: nothing waits anywhere.
      expect(families.get(name)!.metrics.every((metric) => Number(metric.value) === 0)).toBe(true);
    }
  });
});
