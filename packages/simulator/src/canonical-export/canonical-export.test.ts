import { describe, expect, it } from "vitest";
import { type CanonicalRow, canonicalExport, type TableReader } from "./canonical-export.js";
import { CANONICAL_TABLES } from "./canonical-tables.js";

const TABLES: typeof CANONICAL_TABLES = [
  ["customer", [{ table: "customers" }]],
  [
    "order",
    [
      { table: "orders", drop: ["correlation_id"] },
      { table: "checkouts", only: ["checkout_id", "order_id", "state"] },
    ],
  ],
  ["analytics", [{ table: "daily_revenue", drop: ["date"], sum: true }]],
];

const reader =
  (tables: Readonly<Record<string, readonly CanonicalRow[]>>): TableReader =>
  async (context, table) =>
    tables[`${context}.${table}`] ?? [];

/** One state as two runs leave it: the same customers and orders under other ids, times and correlation ids. */
function run(ids: { ada: string; bob: string; first: string; second: string }, day: string) {
  return reader({
    "customer.customers": [
      { customer_id: ids.bob, email: "bob@example.com", created_at: `${day}T10:00:00Z` },
      { customer_id: ids.ada, email: "ada@example.com", created_at: `${day}T09:00:00Z` },
    ],
    "order.orders": [
      {
        order_id: ids.second,
        customer_id: ids.bob,
        total: 500,
        correlation_id: `cor-${day}-2`,
        address: '{"b":1,"a":2}',
      },
      {
        order_id: ids.first,
        customer_id: ids.ada,
        total: 900,
        correlation_id: `cor-${day}-1`,
        address: '{"a":2,"b":1}',
      },
    ],
    "order.checkouts": [
      { checkout_id: `chk_${ids.first.slice(4)}`, order_id: ids.first, state: "COMPLETED", version: 7 },
      { checkout_id: `chk_${ids.second.slice(4)}`, order_id: ids.second, state: "COMPLETED", version: 3 },
    ],
    "analytics.daily_revenue": [
      { date: day, currency: "USD", paid_order_count: 1, gross_amount: 900 },
      { date: `${day}x`, currency: "USD", paid_order_count: 1, gross_amount: 500 },
    ],
  });
}

const ulid = (prefix: string, digit: string) => `${prefix}_01JH8Z3Q4R5S6T7V8W9X0Y1Z${digit}${digit}`;

describe("a canonical export", () => {
  it("is the same for one state under other ids, timestamps and provenance", async () => {
    const one = await canonicalExport(
      run(
        { ada: ulid("cus", "A"), bob: ulid("cus", "B"), first: ulid("ord", "C"), second: ulid("ord", "D") },
        "2026-01-01",
      ),
      TABLES,
    );
    // Ids whose raw order is the other way round, as a run with other random digits makes them.
    const other = await canonicalExport(
      run(
        { ada: ulid("cus", "Z"), bob: ulid("cus", "Y"), first: ulid("ord", "X"), second: ulid("ord", "W") },
        "2026-12-06",
      ),
      TABLES,
    );
    expect(other).toEqual(one);
    expect(one).toEqual({
      "customer.customers": [
        { customer_id: "cus#1", email: "ada@example.com" },
        { customer_id: "cus#2", email: "bob@example.com" },
      ],
      "order.orders": [
        { address: { a: 2, b: 1 }, customer_id: "cus#1", order_id: "ord#1", total: 900 },
        { address: { a: 2, b: 1 }, customer_id: "cus#2", order_id: "ord#2", total: 500 },
      ],
      "order.checkouts": [
        { checkout_id: "chk#1", order_id: "ord#1", state: "COMPLETED" },
        { checkout_id: "chk#2", order_id: "ord#2", state: "COMPLETED" },
      ],
      "analytics.daily_revenue": [{ currency: "USD", gross_amount: 1400, paid_order_count: 2 }],
    });
  });

  it("ranks ids inside text and JSON, and RMA numbers", async () => {
    const exported = await canonicalExport(
      reader({
        "customer.customers": [
          {
            subject: `Your order ${ulid("ord", "Q")} is confirmed`,
            lines: JSON.stringify([{ productId: ulid("prd", "R") }, { productId: ulid("prd", "S") }]),
            rma_number: "RMA-7K2M9Q4T",
          },
        ],
      }),
      TABLES,
    );
    expect(exported["customer.customers"]).toEqual([
      {
        lines: [{ productId: "prd#1" }, { productId: "prd#2" }],
        rma_number: "RMA#1",
        subject: "Your order ord#1 is confirmed",
      },
    ]);
  });

  it("tells rows apart by the ids ranked before them, not by their own ids' raw order", async () => {
    // The orders differ only in their customer: ranked by e-mail first, they sort by the customer's rank.
    const state = (adaOrder: string, bobOrder: string) =>
      reader({
        "customer.customers": [
          { customer_id: ulid("cus", "B"), email: "bob@example.com" },
          { customer_id: ulid("cus", "A"), email: "ada@example.com" },
        ],
        "order.orders": [
          { order_id: bobOrder, customer_id: ulid("cus", "B") },
          { order_id: adaOrder, customer_id: ulid("cus", "A") },
        ],
      });
    const orders = async (adaOrder: string, bobOrder: string) =>
      (await canonicalExport(state(adaOrder, bobOrder), TABLES))["order.orders"];
    const want = [
      { customer_id: "cus#1", order_id: "ord#1" },
      { customer_id: "cus#2", order_id: "ord#2" },
    ];
    expect(await orders(ulid("ord", "1"), ulid("ord", "2"))).toEqual(want);
    expect(await orders(ulid("ord", "2"), ulid("ord", "1"))).toEqual(want);
  });

  it("shows an order billed to its shipping address with that address as its billing address, not ''", async () => {
    const orders = CANONICAL_TABLES.filter(([context]) => context === "order").map(
      ([context, specs]) => [context, specs.filter((spec) => spec.table === "orders")] as const,
    );
    const shipping = '{"city":"New York","line1":"350 Fifth Avenue","name":"Ada"}';
    const billing = '{"city":"Boston","line1":"1 Main St","name":"Ada"}';
    const exported = await canonicalExport(
      reader({
        "order.orders": [
          // Billed to its shipping address, kept once (as orders are written now) and twice (as they were before).
          { order_id: ulid("ord", "A"), shipping_address_json: shipping, billing_address_json: "" },
          { order_id: ulid("ord", "B"), shipping_address_json: shipping, billing_address_json: shipping },
          // Billed elsewhere.
          { order_id: ulid("ord", "C"), shipping_address_json: shipping, billing_address_json: billing },
          // Its addresses kept as tuples (platform/address-tuple.ts), billed to its shipping address and not.
          {
            order_id: ulid("ord", "D"),
            shipping_address_json: '["Ada","1 Main St","Springfield","12345","US"]',
            billing_address_json: "",
          },
          {
            order_id: ulid("ord", "E"),
            shipping_address_json: '["Ada","1 Main St","Springfield","12345","US"]',
            billing_address_json: '["Bob","2 Main St","Springfield","12345","US"]',
          },
        ],
      }),
      orders,
    );
    const newYork = { city: "New York", line1: "350 Fifth Avenue", name: "Ada" };
    const boston = { city: "Boston", line1: "1 Main St", name: "Ada" };
    const springfield = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
    expect(exported["order.orders"]?.map((order) => [order.billing_address_json, order.shipping_address_json])).toEqual(
      [
        [boston, newYork],
        [newYork, newYork],
        [newYork, newYork],
        [springfield, springfield],
        [{ ...springfield, name: "Bob", line1: "2 Main St" }, springfield],
      ],
    );
  });

  it("shows a shipment's and a reservation's lines and address as objects, kept as tuples or (before) as objects", async () => {
    const tables = CANONICAL_TABLES.map(
      ([context, specs]) =>
        [context, specs.filter((spec) => spec.table === "shipments" || spec.table === "reservations")] as const,
    ).filter(([, specs]) => specs.length > 0);
    const line = {
      productId: "prd_1",
      isbn: "9780131103627",
      title: "C",
      quantity: 2,
      unitPrice: { amount: 4599, currency: "USD" },
    };
    const address = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
    const exported = await canonicalExport(
      reader({
        "fulfilment.shipments": [
          {
            shipment_id: ulid("shp", "A"),
            items: '[["prd_1","9780131103627","C",2,4599,"USD"]]',
            shipping_address: '["Ada","1 Main St","Springfield","12345","US"]',
          },
          { shipment_id: ulid("shp", "B"), items: JSON.stringify([line]), shipping_address: JSON.stringify(address) },
        ],
        "inventory.reservations": [
          { reservation_id: ulid("rsv", "A"), items: '[["prd_1",2]]' },
          { reservation_id: ulid("rsv", "B"), items: '[{"productId":"prd_1","quantity":2}]' },
        ],
      }),
      tables,
    );
    expect(exported["fulfilment.shipments"]?.map((row) => [row.items, row.shipping_address])).toEqual([
      [[line], address],
      [[line], address],
    ]);
    expect(exported["inventory.reservations"]?.map((row) => row.items)).toEqual([
      [{ productId: "prd_1", quantity: 2 }],
      [{ productId: "prd_1", quantity: 2 }],
    ]);
  });

  it("shows a status change's reason kept as a code as its text, and drops the code", async () => {
    const tables = CANONICAL_TABLES.map(
      ([context, specs]) => [context, specs.filter((spec) => spec.table === "order_status_history")] as const,
    ).filter(([, specs]) => specs.length > 0);
    const exported = await canonicalExport(
      reader({
        "order.order_status_history": [
          { order_id: ulid("ord", "A"), sequence: 2, reason: null, reason_code: 1 },
          { order_id: ulid("ord", "B"), sequence: 2, reason: "Payment captured." },
          { order_id: ulid("ord", "C"), sequence: 3, reason: "Shipped with UPS.", reason_code: null },
        ],
      }),
      tables,
    );
    expect(exported["order.order_status_history"]).toEqual([
      { order_id: "ord#1", reason: "Payment captured.", sequence: 2 },
      { order_id: "ord#2", reason: "Payment captured.", sequence: 2 },
      { order_id: "ord#3", reason: "Shipped with UPS.", sequence: 3 },
    ]);
  });
});
