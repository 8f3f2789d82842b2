import type { Selectable } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { migrations } from "../../packages/services/src/order/migrations.js";
import { createOrderStatements, type OrderStatements } from "../../packages/services/src/order/order-statements.js";
import {
  CLAIMED_WHEN_PAID,
  type OrderDatabase,
  type OrderItemsTable,
  type OrdersTable,
  UPDATED_WITH_STATUS,
  updatedAtOf,
} from "../../packages/services/src/order/store.js";
import { describeBackends } from "./backends.js";
import { AT, checkoutRow } from "./checkout-row.js";
import { useContextStore } from "./context-store.js";

// The order store's statements compiled once (order-statements.ts) run on both dialects with each call's values: the
// saga's versioned write, a checkout delivered twice, an order's lines of any count, and the order's one-time moves.

function order(orderId: string): Selectable<OrdersTable> {
  return {
    order_id: orderId,
    checkout_id: `chk_${orderId}`,
    customer_id: "cus_1",
    status: "PENDING",
    currency: "USD",
    subtotal: 3000,
    discount: 0,
    shipping: 0,
    tax: 0,
    total: 3000,
    coupon_code: null,
    applied_promotions_json: "[]",
    shipping_address_json: "{}",
    billing_address_json: "{}",
    payment_id: "pay_1",
    reservation_id: "res_1",
    shipment_json: null,
    fulfilment_id: null,
    cancellation_json: null,
    correlation_id: "cor_1",
    created_event_id: "evt_2",
    claimed_at: null,
    created_at: AT,
    updated_at: AT,
    paid_at: null,
    fulfilled_at: null,
    shipped_at: null,
    delivered_at: null,
    canceled_at: null,
  };
}

function lines(orderId: string, count: number): Selectable<OrderItemsTable>[] {
  return Array.from({ length: count }, (_, index) => ({
    order_id: orderId,
    position: index + 1,
    product_id: `prd_${index + 1}`,
    isbn: `978000000000${index}`,
    title: `Book ${index + 1}`,
    quantity: index + 1,
    unit_price: 1000,
    line_total: 1000 * (index + 1),
  }));
}

describeBackends("the order store's compiled statements", (backend) => {
  const store = useContextStore<OrderDatabase>(backend, { name: "order", migrations });
  let statements: OrderStatements;

  beforeAll(async () => {
    statements = createOrderStatements(store.db);
  });

  it("inserts a checkout once: the same checkout delivered again changes nothing", async () => {
    expect(await statements.insertCheckout.executeChanges(store.db, checkoutRow("chk_once"))).toBe(1n);
    expect(
      await statements.insertCheckout.executeChanges(store.db, { ...checkoutRow("chk_once"), cart_id: "crt_other" }),
    ).toBe(0n);
    expect(await statements.readCheckout.executeTakeFirst(store.db, { checkoutId: "chk_once" })).toEqual(
      checkoutRow("chk_once"),
    );
  });

  it("changes a saga only at the version it read, whichever columns the change sets", async () => {
    await statements.insertCheckout.execute(store.db, checkoutRow("chk_claim"));
    await store.db
      .updateTable("checkouts")
      .set({ reservation_expired_at: AT })
      .where("checkout_id", "=", "chk_claim")
      .execute();
    const first = await statements.claimCheckout(store.db, {
      state: "RESERVING_STOCK",
      version: 1,
      $checkoutId: "chk_claim",
      $version: 0,
    });
    expect(first).toEqual({ reservation_expired_at: AT });
    const stale = await statements.claimCheckout(store.db, {
      state: "FAILED",
      version: 1,
      $checkoutId: "chk_claim",
      $version: 0,
    });
    expect(stale).toBeUndefined();
    const second = await statements.claimCheckout(store.db, {
      payment_id: "pay_1",
      total: 900,
      version: 2,
      $checkoutId: "chk_claim",
      $version: 1,
    });
    expect(second).toBeDefined();
    const row = await statements.readCheckout.executeTakeFirst(store.db, { checkoutId: "chk_claim" });
    expect(row).toMatchObject({ state: "RESERVING_STOCK", payment_id: "pay_1", total: 900, version: 2 });
  });

  it("writes an order's lines in their order, whatever their count, and reads them back", async () => {
    for (const [orderId, count] of [
      ["ord_one", 1],
      ["ord_three", 3],
    ] as const) {
      await statements.insertOrder.execute(store.db, order(orderId));
      await statements.insertItems(store.db, lines(orderId, count));
    }
    // Another statements object, whose memory holds no lines: it reads them.
    const fresh = createOrderStatements(store.db);
    expect(await fresh.readItems(store.db, "ord_three")).toEqual(lines("ord_three", 3));
    expect(await fresh.readItems(store.db, "ord_one")).toEqual(lines("ord_one", 1));
    expect(await fresh.readItems(store.db, "ord_none")).toEqual([]);
  });

  it("answers an order's remembered lines without reading them, and the order as inserted", async () => {
    const remembered = lines("ord_kept", 2);
    statements.rememberItems("ord_kept", remembered, order("ord_kept"));
    // Nothing is in the table: what comes back is what was remembered.
    expect(await statements.readItems(store.db, "ord_kept")).toBe(remembered);
    expect(statements.insertedOrder("ord_kept")).toEqual(order("ord_kept"));
    expect(createOrderStatements(store.db).insertedOrder("ord_kept")).toBeUndefined();
  });

  it("pays a PENDING order once and hands an order out once", async () => {
    await statements.insertOrder.execute(store.db, order("ord_pay"));
    expect(await statements.payOrder.executeChanges(store.db, { orderId: "ord_pay", paidAt: AT })).toBe(1n);
    const paid = await statements.readOrder.executeTakeFirst(store.db, { orderId: "ord_pay" });
    // Its last change is its payment: the time is kept once, as paid_at, and read back as the order's update too.
    expect(paid).toMatchObject({ status: "PAID", paid_at: AT, updated_at: UPDATED_WITH_STATUS });
    expect(paid && updatedAtOf(paid)).toBe(AT);
    expect(await statements.payOrder.executeChanges(store.db, { orderId: "ord_pay", paidAt: AT })).toBe(0n);
    const claimed = await statements.claimOrder.executeTakeFirst(store.db, { orderId: "ord_pay", claimedAt: AT });
    expect(claimed).toMatchObject({ order_id: "ord_pay", claimed_at: AT });
    expect(
      await statements.claimOrder.executeTakeFirst(store.db, { orderId: "ord_pay", claimedAt: AT }),
    ).toBeUndefined();
    expect(await statements.readOrder.executeTakeFirst(store.db, { orderId: "ord_pay" })).toMatchObject({
      status: "PAID",
      claimed_at: AT,
    });
  });

  it("hands an order out in the write that pays it, marked claimed when paid (its time kept once, as paid_at)", async () => {
    await statements.insertOrder.execute(store.db, order("ord_handed"));
    const paid = { orderId: "ord_handed", paidAt: AT };
    expect(await statements.payAndClaimOrder.executeChanges(store.db, paid)).toBe(1n);
    expect(await statements.readOrder.executeTakeFirst(store.db, { orderId: "ord_handed" })).toMatchObject({
      status: "PAID",
      paid_at: AT,
      claimed_at: CLAIMED_WHEN_PAID,
    });
    // Handed out already: neither a second hand-out nor a claim of a later caller takes it again.
    expect(await statements.payAndClaimOrder.executeChanges(store.db, paid)).toBe(0n);
    expect(
      await statements.claimOrder.executeTakeFirst(store.db, { orderId: "ord_handed", claimedAt: AT }),
    ).toBeUndefined();
  });
});
