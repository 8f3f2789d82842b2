import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminOf,
  checkout,
  deliver,
  loginShopper,
  quiet,
  registerShopper,
  type Shopper,
  someProducts,
} from "./scenario.js";

const DAY = 86_400_000;

let platform: Platform;
let admin: Shopper;
let shopper: Shopper;
let stranger: Shopper;
let kept: string;
let canceled: string;
let totals: Map<string, number>;

/** Two paid orders on the first day; the next day one is delivered and the other canceled (refunded). */
beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 21, log: quiet });
  admin = await adminOf(platform);
  shopper = await registerShopper(platform, 1);
  stranger = await registerShopper(platform, 2);
  const [a, b] = await someProducts(platform, 2);
  kept = await checkout(platform, shopper, { [a!]: 2 });
  canceled = await checkout(platform, shopper, { [a!]: 1, [b!]: 1 });
  totals = new Map();
  for (const orderId of [kept, canceled]) {
    const { data } = await shopper.client.order.getOrder({ params: { path: { orderId } } });
    totals.set(orderId, data!.total.amount);
  }
  await platform.advanceClock(DAY);
  // Tokens last 15 minutes of platform time.
  admin = await adminOf(platform);
  shopper = await loginShopper(platform, 1);
  stranger = await loginShopper(platform, 2);
  await deliver(platform, admin, kept);
  // A customer cancels only a PENDING order; support (an admin) cancels a paid one with a refund.
  const { error } = await admin.client.order.cancelOrder({
    params: { path: { orderId: canceled } },
    body: { reason: "customer_request" },
  });
  if (error) throw new Error(`cancel failed: ${JSON.stringify(error)}`);
  await platform.settle();
});
afterAll(() => platform.close());

describe("orders by customer", () => {
  it("lists a customer's orders newest first, each as its last event left it", async () => {
    const { data } = await shopper.client.analytics.listCustomerOrderSummaries({
      params: { path: { customerId: shopper.customerId } },
    });
    expect(data!.items.map((item) => [item.orderId, item.status])).toEqual([
      [canceled, "CANCELED"],
      [kept, "DELIVERED"],
    ]);
    const delivered = data!.items[1]!;
    expect(delivered).toMatchObject({ itemCount: 2, total: { amount: totals.get(kept), currency: "USD" } });
    expect(delivered.paidAt).toBeDefined();
    expect(delivered.shippedAt).toBeDefined();
    expect(delivered.deliveredAt).toBe(delivered.lastEventAt);
    expect(data!.items[0]!.canceledAt).toBeDefined();

    const { data: onlyDelivered } = await admin.client.analytics.listCustomerOrderSummaries({
      params: { path: { customerId: shopper.customerId }, query: { status: "DELIVERED", limit: 1 } },
    });
    expect(onlyDelivered!.items.map((item) => item.orderId)).toEqual([kept]);
    expect(onlyDelivered!.page.nextCursor).toBeUndefined();
  });

  it("pages with a cursor", async () => {
    const path = { customerId: shopper.customerId };
    const first = await shopper.client.analytics.listCustomerOrderSummaries({ params: { path, query: { limit: 1 } } });
    const second = await shopper.client.analytics.listCustomerOrderSummaries({
      params: { path, query: { limit: 1, cursor: first.data!.page.nextCursor! } },
    });
    expect([...first.data!.items, ...second.data!.items].map((item) => item.orderId)).toEqual([canceled, kept]);
  });

  it("shows a customer only their own summaries", async () => {
    const { response } = await stranger.client.analytics.listCustomerOrderSummaries({
      params: { path: { customerId: shopper.customerId } },
    });
    expect(response.status).toBe(403);
  });
});

describe("daily revenue", () => {
  it("books sales on the paid day and subtracts a refund on the day it happened, in minor units", async () => {
    const { data } = await admin.client.analytics.listDailyRevenue({
      params: { query: { from: "2026-01-01", to: "2026-01-31" } },
    });
    const gross = totals.get(kept)! + totals.get(canceled)!;
    const refunded = totals.get(canceled)!;
    expect(data!.items).toMatchObject([
      {
        date: "2026-01-01",
        currency: "USD",
        paidOrderCount: 2,
        grossRevenue: { amount: gross, currency: "USD" },
        canceledOrderCount: 0,
        refundCount: 0,
        refunded: { amount: 0, currency: "USD" },
        netRevenue: { amount: gross, currency: "USD" },
      },
      {
        date: "2026-01-02",
        currency: "USD",
        paidOrderCount: 0,
        grossRevenue: { amount: 0, currency: "USD" },
        canceledOrderCount: 1,
        refundCount: 1,
        refunded: { amount: refunded, currency: "USD" },
        netRevenue: { amount: -refunded, currency: "USD" },
      },
    ]);
  });

  it("pages by day and filters by currency", async () => {
    const first = await admin.client.analytics.listDailyRevenue({
      params: { query: { from: "2026-01-01", to: "2026-01-31", currency: "USD", limit: 1 } },
    });
    expect(first.data!.items.map((item) => item.date)).toEqual(["2026-01-01"]);
    const second = await admin.client.analytics.listDailyRevenue({
      params: {
        query: {
          from: "2026-01-01",
          to: "2026-01-31",
          currency: "USD",
          limit: 1,
          cursor: first.data!.page.nextCursor!,
        },
      },
    });
    expect(second.data!.items.map((item) => item.date)).toEqual(["2026-01-02"]);
    const euros = await admin.client.analytics.listDailyRevenue({
      params: { query: { from: "2026-01-01", to: "2026-01-31", currency: "EUR" } },
    });
    expect(euros.data!.items).toEqual([]);
  });

  it("refuses a backwards or over-long range, and anyone but an admin", async () => {
    const backwards = await admin.client.analytics.listDailyRevenue({
      params: { query: { from: "2026-02-01", to: "2026-01-01" } },
    });
    expect(backwards.response.status).toBe(400);
    const long = await admin.client.analytics.listDailyRevenue({
      params: { query: { from: "2025-01-01", to: "2026-01-02" } },
    });
    expect(long.response.status).toBe(400);
    const customer = await shopper.client.analytics.listDailyRevenue({
      params: { query: { from: "2026-01-01", to: "2026-01-02" } },
    });
    expect(customer.response.status).toBe(403);
  });
});
