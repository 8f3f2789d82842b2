import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readSteps } from "../../packages/services/src/order/checkout-step-log.js";
import { migrations } from "../../packages/services/src/order/migrations.js";
import { statusChangeRow } from "../../packages/services/src/order/order-records.js";
import { statusChange } from "../../packages/services/src/order/order-views.js";
import type { OrderDatabase } from "../../packages/services/src/order/store.js";
import { migrate } from "../../packages/simulator/src/sqlite-store.js";
import { describeBackends } from "./backends.js";
import { type ContextStore, openContextStore } from "./context-store.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

// A data folder (or PostgreSQL schema) written before a saga's steps were kept in its checkout row still opens: the
// migration moves each checkout's step rows into its step columns, and they read back as the API showed them.

const STARTED = "2026-12-01T10:00:00.000Z";

/** The order store's migrations before the steps moved into the checkout row. */
const BEFORE = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "0004"));

function checkoutRow(checkoutId: string, state: string) {
  return {
    checkout_id: checkoutId,
    cart_id: `crt_${checkoutId}`,
    customer_id: "cus_1",
    order_id: `ord_${checkoutId}`,
    correlation_id: "cor_1",
    cause_event_id: "evt_1",
    last_event_id: "evt_1",
    currency: "USD",
    items_json: "[]",
    subtotal: 1000,
    shipping_address_id: "adr_1",
    billing_address_id: null,
    coupon_code: null,
    payment_token: "tok_1",
    state,
    version: 3,
    reservation_id: null,
    reservation_expires_at: null,
    reservation_expired_at: null,
    pricing_json: null,
    total: null,
    payment_id: null,
    failure_code: null,
    failure_message: null,
    failure_step: null,
    compensations_json: "[]",
    stock_commit: null,
    redrive_at: null,
    started_at: STARTED,
    updated_at: STARTED,
    finished_at: null,
  };
}

function stepRow(checkoutId: string, position: number, name: string, status: string, more: object = {}) {
  return {
    checkout_id: checkoutId,
    position,
    name,
    status,
    attempts: 0,
    started_at: null,
    finished_at: null,
    compensated_at: null,
    detail: null,
    ...more,
  };
}

describeBackends("the order store's migration of saga steps", (backend) => {
  let database: TestDatabase | undefined;
  let store: ContextStore<OrderDatabase>;

  beforeAll(async () => {
    if (backend.kind === "postgres+nats") database = await createTestDatabase();
    store = await openContextStore<OrderDatabase>(backend, { name: "order", migrations: BEFORE }, database);
    // biome-ignore lint/suspicious/noExplicitAny: the store as it was before, with its checkout_steps table.
    const before = store.db as Kysely<any>;
    await before
      .insertInto("checkouts")
      .values([checkoutRow("chk_a", "COMPENSATING"), checkoutRow("chk_b", "STARTED")])
      .execute();
    await before
      .insertInto("checkout_steps")
      .values([
        stepRow("chk_a", 1, "reserve_stock", "COMPENSATED", {
          attempts: 2,
          started_at: "2026-12-01T10:00:00.010Z",
          finished_at: "2026-12-01T10:00:01.500Z",
          compensated_at: "2026-12-01T10:00:03.000Z",
          detail: "Reservation res_1 released.",
        }),
        stepRow("chk_a", 2, "calculate_discount", "FAILED", {
          attempts: 1,
          started_at: "2026-12-01T10:00:01.500Z",
          finished_at: "2026-12-01T10:00:02.000Z",
          detail: "Coupon SAVE10 was refused (expired): gone.",
        }),
        stepRow("chk_a", 3, "authorize_payment", "PENDING"),
        stepRow("chk_a", 4, "create_order", "PENDING"),
        stepRow("chk_a", 5, "capture_payment", "PENDING"),
        stepRow("chk_b", 1, "reserve_stock", "PENDING"),
        stepRow("chk_b", 2, "calculate_discount", "PENDING"),
        stepRow("chk_b", 3, "authorize_payment", "PENDING"),
        stepRow("chk_b", 4, "create_order", "PENDING"),
        stepRow("chk_b", 5, "capture_payment", "PENDING"),
      ])
      .execute();
    await migrate(store.db as Kysely<unknown>, migrations, { label: "order", table: "_migrations" });
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it("moves every step of every checkout into its row, reading back as before", async () => {
    const rows = await store.db.selectFrom("checkouts").selectAll().orderBy("checkout_id").execute();
    const [compensating, started] = rows.map((row) => readSteps(row));
    expect(compensating?.slice(0, 3)).toEqual([
      {
        position: 1,
        name: "reserve_stock",
        status: "COMPENSATED",
        attempts: 2,
        started_at: "2026-12-01T10:00:00.010Z",
        finished_at: "2026-12-01T10:00:01.500Z",
        compensated_at: "2026-12-01T10:00:03.000Z",
        detail: "Reservation res_1 released.",
      },
      {
        position: 2,
        name: "calculate_discount",
        status: "FAILED",
        attempts: 1,
        started_at: "2026-12-01T10:00:01.500Z",
        finished_at: "2026-12-01T10:00:02.000Z",
        compensated_at: null,
        detail: "Coupon SAVE10 was refused (expired): gone.",
      },
      {
        position: 3,
        name: "authorize_payment",
        status: "PENDING",
        attempts: 0,
        started_at: null,
        finished_at: null,
        compensated_at: null,
        detail: null,
      },
    ]);
    expect(rows[0]?.step_statuses).toBe("CFPPP");
    expect(started?.map((step) => [step.name, step.status, step.attempts])).toEqual([
      ["reserve_stock", "PENDING", 0],
      ["calculate_discount", "PENDING", 0],
      ["authorize_payment", "PENDING", 0],
      ["create_order", "PENDING", 0],
      ["capture_payment", "PENDING", 0],
    ]);
  });

  it("drops the table the steps were kept in", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a table OrderDatabase no longer has.
    const read = (store.db as Kysely<any>).selectFrom("checkout_steps").selectAll().execute();
    await expect(read).rejects.toThrow(/checkout_steps/);
  });
});

describeBackends("the order store's migration dropping checkouts.order_id's unique index", (backend) => {
  let database: TestDatabase | undefined;
  let store: ContextStore<OrderDatabase>;
  const written = [
    { ...checkoutRow("chk_c", "COMPLETED"), step_statuses: "SSSSS", steps_json: "[[1],[1],[1],[1],[1]]" },
    { ...checkoutRow("chk_d", "STARTED"), step_statuses: "PPPPP", steps_json: "[[0],[0],[0],[0],[0]]" },
  ];

  beforeAll(async () => {
    if (backend.kind === "postgres+nats") database = await createTestDatabase();
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "0007"));
    store = await openContextStore<OrderDatabase>(backend, { name: "order", migrations: before }, database);
    await store.db.insertInto("checkouts").values(written).execute();
    await migrate(store.db as Kysely<unknown>, migrations, { label: "order", table: "_migrations" });
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it("keeps every checkout's every column, and the indexes the store's queries read", async () => {
    const rows = await store.db.selectFrom("checkouts").selectAll().orderBy("checkout_id").execute();
    expect(rows).toEqual(written);
    const unfinished = await store.db
      .selectFrom("checkouts")
      .select("checkout_id")
      .where("state", "not in", ["COMPLETED", "FAILED"])
      .execute();
    expect(unfinished).toEqual([{ checkout_id: "chk_d" }]);
    if (backend.kind !== "embedded") {
      const { rows: unique } = await sql<{ name: string }>`select constraint_name as name
        from information_schema.table_constraints
        where table_name = 'checkouts' and constraint_type = 'UNIQUE'`.execute(store.db);
      expect(unique).toEqual([]);
      return;
    }
    const { rows: indexes } = await sql<{ name: string }>`select name from sqlite_master
      where type = 'index' and tbl_name = 'checkouts' order by name`.execute(store.db);
    expect(indexes.map((index) => index.name)).toEqual([
      "checkouts_by_redrive",
      "checkouts_unfinished",
      "sqlite_autoindex_checkouts_1",
    ]);
  });
});

describeBackends("the order store's migration keeping the platform's status reasons as codes", (backend) => {
  let database: TestDatabase | undefined;
  let store: ContextStore<OrderDatabase>;
  const AT = "2026-12-01T10:00:00.000Z";
  const line = (sequence: number, reason: string | null) => ({
    order_id: "ord_r",
    sequence,
    from_status: sequence === 1 ? null : "PENDING",
    to_status: sequence === 1 ? "PENDING" : "PAID",
    changed_at: AT,
    actor_kind: "system",
    actor_customer_id: null,
    reason,
    causation_id: null,
  });

  beforeAll(async () => {
    if (backend.kind === "postgres+nats") database = await createTestDatabase();
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "0008"));
    store = await openContextStore<OrderDatabase>(backend, { name: "order", migrations: before }, database);
    // biome-ignore lint/suspicious/noExplicitAny: the tables as they were before the migration.
    const db = store.db as Kysely<any>;
    await db
      .insertInto("orders")
      .values({
        order_id: "ord_r",
        checkout_id: "chk_r",
        customer_id: "cus_1",
        status: "PAID",
        currency: "USD",
        subtotal: 100,
        discount: 0,
        shipping: 0,
        tax: 0,
        total: 100,
        applied_promotions_json: "[]",
        shipping_address_json: "{}",
        billing_address_json: "",
        payment_id: "pay_1",
        reservation_id: "rsv_1",
        correlation_id: "",
        created_event_id: "evt_1",
        created_at: AT,
        updated_at: AT,
      })
      .execute();
    await db
      .insertInto("order_status_history")
      .values([line(1, "Created by the Checkout Saga."), line(2, "Payment captured.")])
      .execute();
    await migrate(store.db as Kysely<unknown>, migrations, { label: "order", table: "_migrations" });
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it("reads the lines written before with their reasons' text, and keeps a new line's standard reason as a code", async () => {
    await store.db
      .insertInto("order_status_history")
      .values(
        statusChangeRow("ord_r", 3, {
          from: "PAID",
          to: "FULFILLED",
          at: AT,
          actor: { kind: "system" },
          reason: "Picked and packed.",
        }),
      )
      .execute();
    const rows = await store.db.selectFrom("order_status_history").selectAll().orderBy("sequence").execute();
    expect(rows.map((row) => [row.reason, row.reason_code])).toEqual([
      ["Created by the Checkout Saga.", null],
      ["Payment captured.", null],
      [null, 2],
    ]);
    expect(rows.map((row) => statusChange(row).reason)).toEqual([
      "Created by the Checkout Saga.",
      "Payment captured.",
      "Picked and packed.",
    ]);
  });
});
