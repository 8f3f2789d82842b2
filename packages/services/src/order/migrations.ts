import { type Kysely, type Migration, sql } from "kysely";
import { dialectOf } from "../platform/dialect.js";
import { rebuildTable } from "../platform/rebuild-table.js";
import { rebuildWithoutRowid } from "../platform/without-rowid.js";
import { CHECKOUT_STEPS, type CheckoutStepName, type StepStatus } from "./checkout-saga-rules.js";
import { type CheckoutStep, NEW_STEPS, packSteps } from "./checkout-step-log.js";
import { UNFINISHED_CHECKOUT } from "./store.js";

/** The order store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_checkouts": {
    async up(db) {
      await db.schema
        .createTable("checkouts")
        .addColumn("checkout_id", "text", (column) => column.primaryKey())
        .addColumn("cart_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("order_id", "text", (column) => column.notNull().unique())
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("cause_event_id", "text", (column) => column.notNull())
        .addColumn("last_event_id", "text", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("items_json", "text", (column) => column.notNull())
        .addColumn("subtotal", "integer", (column) => column.notNull())
        .addColumn("shipping_address_id", "text", (column) => column.notNull())
        .addColumn("billing_address_id", "text")
        .addColumn("coupon_code", "text")
        .addColumn("payment_token", "text", (column) => column.notNull())
        .addColumn("state", "text", (column) => column.notNull())
        .addColumn("version", "integer", (column) => column.notNull())
        .addColumn("reservation_id", "text")
        .addColumn("reservation_expires_at", "text")
        .addColumn("reservation_expired_at", "text")
        .addColumn("pricing_json", "text")
        .addColumn("total", "integer")
        .addColumn("payment_id", "text")
        .addColumn("failure_code", "text")
        .addColumn("failure_message", "text")
        .addColumn("failure_step", "text")
        .addColumn("compensations_json", "text", (column) => column.notNull())
        .addColumn("stock_commit", "text")
        .addColumn("started_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("finished_at", "text")
        .execute();
      // start() looks for sagas that have not ended (or whose stock is still to be committed) on every start.
      await db.schema.createIndex("checkouts_by_state").on("checkouts").columns(["state", "stock_commit"]).execute();
      await db.schema.createIndex("checkouts_by_reservation").on("checkouts").column("reservation_id").execute();
      await db.schema
        .createTable("checkout_steps")
        .addColumn("checkout_id", "text", (column) => column.notNull().references("checkouts.checkout_id"))
        .addColumn("position", "integer", (column) => column.notNull())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("attempts", "integer", (column) => column.notNull())
        .addColumn("started_at", "text")
        .addColumn("finished_at", "text")
        .addColumn("compensated_at", "text")
        .addColumn("detail", "text")
        .addPrimaryKeyConstraint("checkout_steps_pk", ["checkout_id", "name"])
        .execute();
    },
  },
  "0002_orders": {
    async up(db) {
      await db.schema
        .createTable("orders")
        .addColumn("order_id", "text", (column) => column.primaryKey())
        // One checkout has at most one order, whatever happens to the saga that creates it.
        .addColumn("checkout_id", "text", (column) => column.notNull().unique())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("subtotal", "integer", (column) => column.notNull())
        .addColumn("discount", "integer", (column) => column.notNull())
        .addColumn("shipping", "integer", (column) => column.notNull())
        .addColumn("tax", "integer", (column) => column.notNull())
        .addColumn("total", "integer", (column) => column.notNull())
        .addColumn("coupon_code", "text")
        .addColumn("applied_promotions_json", "text", (column) => column.notNull())
        .addColumn("shipping_address_json", "text", (column) => column.notNull())
        .addColumn("billing_address_json", "text", (column) => column.notNull())
        .addColumn("payment_id", "text", (column) => column.notNull())
        .addColumn("reservation_id", "text", (column) => column.notNull())
        .addColumn("shipment_json", "text")
        .addColumn("fulfilment_id", "text")
        .addColumn("cancellation_json", "text")
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("created_event_id", "text", (column) => column.notNull())
        .addColumn("claimed_at", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("paid_at", "text")
        .addColumn("fulfilled_at", "text")
        .addColumn("shipped_at", "text")
        .addColumn("delivered_at", "text")
        .addColumn("canceled_at", "text")
        .execute();
      await db.schema
        .createIndex("orders_by_customer")
        .on("orders")
        .columns(["customer_id", "created_at", "order_id"])
        .execute();
      await db.schema.createIndex("orders_by_created").on("orders").columns(["created_at", "order_id"]).execute();
      await db.schema.createIndex("orders_by_payment").on("orders").column("payment_id").execute();
      await db.schema
        .createTable("order_items")
        .addColumn("order_id", "text", (column) => column.notNull().references("orders.order_id"))
        .addColumn("position", "integer", (column) => column.notNull())
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("isbn", "text", (column) => column.notNull())
        .addColumn("title", "text", (column) => column.notNull())
        .addColumn("quantity", "integer", (column) => column.notNull())
        .addColumn("unit_price", "integer", (column) => column.notNull())
        .addColumn("line_total", "integer", (column) => column.notNull())
        .addPrimaryKeyConstraint("order_items_pk", ["order_id", "position"])
        .execute();
      await db.schema
        .createTable("order_status_history")
        .addColumn("order_id", "text", (column) => column.notNull().references("orders.order_id"))
        .addColumn("sequence", "integer", (column) => column.notNull())
        .addColumn("from_status", "text")
        .addColumn("to_status", "text", (column) => column.notNull())
        .addColumn("changed_at", "text", (column) => column.notNull())
        .addColumn("actor_kind", "text", (column) => column.notNull())
        .addColumn("actor_customer_id", "text")
        .addColumn("reason", "text")
        .addColumn("causation_id", "text")
        .addPrimaryKeyConstraint("order_status_history_pk", ["order_id", "sequence"])
        .execute();
    },
  },
  // A saga waiting for a dependency is driven again at a persisted time that the context's tick picks up, so a crash
  // or another process resumes it, instead of at a timer of the process that gave up.
  "0003_checkout_redrive": {
    async up(db) {
      await db.schema.alterTable("checkouts").addColumn("redrive_at", "text").execute();
      await db.schema.createIndex("checkouts_by_redrive").on("checkouts").column("redrive_at").execute();
    },
  },
  // A saga's steps are kept in its own row (checkout-step-log.ts), written by the versioned UPDATE that moves it,
  // instead of five rows of checkout_steps updated beside it: the rows of a data folder written before are moved in.
  "0004_checkout_steps_in_checkouts": {
    async up(db) {
      await db.schema
        .alterTable("checkouts")
        .addColumn("step_statuses", "text", (column) => column.notNull().defaultTo(NEW_STEPS.step_statuses))
        .execute();
      await db.schema
        .alterTable("checkouts")
        .addColumn("steps_json", "text", (column) => column.notNull().defaultTo(NEW_STEPS.steps_json))
        .execute();
      await moveCheckoutSteps(db);
      await db.schema.dropTable("checkout_steps").execute();
    },
  },
  // An order's items and status history, keyed by (order id, position or sequence) and read by it alone, kept in
  // that key's order on SQLite instead of beside an index mapping it to a rowid (without-rowid.ts).
  "0005_order_rows_without_rowid": {
    async up(db) {
      for (const table of ["order_items", "order_status_history"]) await rebuildWithoutRowid(db, table);
    },
  },
  // Only indexes a query reads, each holding only the rows it is read for (EXPLAIN QUERY PLAN of the store's queries):
  // no query looks an order up by its payment nor a checkout by its reservation; start() and the tick look for the
  // few sagas still to drive, so their indexes keep those rows alone instead of an entry for every checkout ever.
  "0006_indexes_as_read": {
    async up(db) {
      await db.schema.dropIndex("orders_by_payment").execute();
      await db.schema.dropIndex("checkouts_by_reservation").execute();
      await db.schema.dropIndex("checkouts_by_state").execute();
      await db.schema
        .createIndex("checkouts_unfinished")
        .on("checkouts")
        .column("checkout_id")
        .where(sql.raw<boolean>(UNFINISHED_CHECKOUT))
        .execute();
      await db.schema.dropIndex("checkouts_by_redrive").execute();
      await db.schema
        .createIndex("checkouts_by_redrive")
        .on("checkouts")
        .column("redrive_at")
        .where(sql.ref("redrive_at"), "is not", null)
        .execute();
    },
  },
  // No query looks a checkout up by its order (the order row is read by its own id), and orders.checkout_id's unique
  // index already keeps one order per checkout: the unique index on checkouts.order_id only took ~50 bytes a checkout.
  // SQLite cannot drop a UNIQUE constraint: the table is made again without it.
  "0007_checkouts_without_order_index": {
    async up(db) {
      if (dialectOf(db) === "postgres") {
        await sql`alter table checkouts drop constraint if exists checkouts_order_id_key`.execute(db);
        return;
      }
      await rebuildCheckoutsWithoutOrderIndex(db);
    },
  },
  // The reasons the platform gives, the same text each time, kept as a code (history-reasons.ts); rows written before
  // keep their text, and read as they did.
  "0008_history_reason_codes": {
    async up(db) {
      await db.schema.alterTable("order_status_history").addColumn("reason_code", "integer").execute();
    },
  },
};

/** The checkouts table as 0001, 0003 and 0004 made it but for order_id's UNIQUE, with its rows and its indexes. */
// biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema as it was then, not OrderDatabase.
async function rebuildCheckoutsWithoutOrderIndex(db: Kysely<any>): Promise<void> {
  await rebuildTable(db, "checkouts", (name) =>
    db.schema
      .createTable(name)
      .addColumn("checkout_id", "text", (column) => column.primaryKey())
      .addColumn("cart_id", "text", (column) => column.notNull())
      .addColumn("customer_id", "text", (column) => column.notNull())
      .addColumn("order_id", "text", (column) => column.notNull())
      .addColumn("correlation_id", "text", (column) => column.notNull())
      .addColumn("cause_event_id", "text", (column) => column.notNull())
      .addColumn("last_event_id", "text", (column) => column.notNull())
      .addColumn("currency", "text", (column) => column.notNull())
      .addColumn("items_json", "text", (column) => column.notNull())
      .addColumn("subtotal", "integer", (column) => column.notNull())
      .addColumn("shipping_address_id", "text", (column) => column.notNull())
      .addColumn("billing_address_id", "text")
      .addColumn("coupon_code", "text")
      .addColumn("payment_token", "text", (column) => column.notNull())
      .addColumn("state", "text", (column) => column.notNull())
      .addColumn("version", "integer", (column) => column.notNull())
      .addColumn("reservation_id", "text")
      .addColumn("reservation_expires_at", "text")
      .addColumn("reservation_expired_at", "text")
      .addColumn("pricing_json", "text")
      .addColumn("total", "integer")
      .addColumn("payment_id", "text")
      .addColumn("failure_code", "text")
      .addColumn("failure_message", "text")
      .addColumn("failure_step", "text")
      .addColumn("compensations_json", "text", (column) => column.notNull())
      .addColumn("stock_commit", "text")
      .addColumn("started_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .addColumn("finished_at", "text")
      .addColumn("redrive_at", "text")
      .addColumn("step_statuses", "text", (column) => column.notNull().defaultTo(NEW_STEPS.step_statuses))
      .addColumn("steps_json", "text", (column) => column.notNull().defaultTo(NEW_STEPS.steps_json))
      .execute(),
  );
  await db.schema
    .createIndex("checkouts_unfinished")
    .on("checkouts")
    .column("checkout_id")
    .where(sql.raw<boolean>(UNFINISHED_CHECKOUT))
    .execute();
  await db.schema
    .createIndex("checkouts_by_redrive")
    .on("checkouts")
    .column("redrive_at")
    .where(sql.ref("redrive_at"), "is not", null)
    .execute();
}

/** How many checkouts' steps are moved per read, so a large data folder is not read into memory at once. */
const MOVE_BATCH = 500;

/** Copy every checkout's step rows into its step columns, a batch of checkouts at a time in checkout id order. */
// biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema as it was then, not OrderDatabase.
async function moveCheckoutSteps(db: Kysely<any>): Promise<void> {
  let after = "";
  for (;;) {
    const checkouts: { checkout_id: string; started_at: string }[] = await db
      .selectFrom("checkouts")
      .select(["checkout_id", "started_at"])
      .where("checkout_id", ">", after)
      .orderBy("checkout_id")
      .limit(MOVE_BATCH)
      .execute();
    const last = checkouts.at(-1);
    if (!last) return;
    const rows = (await db
      .selectFrom("checkout_steps")
      .selectAll()
      .where("checkout_id", ">", after)
      .where("checkout_id", "<=", last.checkout_id)
      .execute()) as (Omit<CheckoutStep, "name" | "status"> & { checkout_id: string; name: string; status: string })[];
    const byCheckout = new Map<string, typeof rows>();
    for (const row of rows) byCheckout.set(row.checkout_id, [...(byCheckout.get(row.checkout_id) ?? []), row]);
    for (const checkout of checkouts) {
      const kept = new Map((byCheckout.get(checkout.checkout_id) ?? []).map((row) => [row.name, row]));
      const steps = CHECKOUT_STEPS.map((name: CheckoutStepName, index): CheckoutStep => {
        const row = kept.get(name);
        return {
          position: index + 1,
          name,
          status: (row?.status ?? "PENDING") as StepStatus,
          attempts: row?.attempts ?? 0,
          started_at: row?.started_at ?? null,
          finished_at: row?.finished_at ?? null,
          compensated_at: row?.compensated_at ?? null,
          detail: row?.detail ?? null,
        };
      });
      await db
        .updateTable("checkouts")
        .set(packSteps(steps, checkout.started_at))
        .where("checkout_id", "=", checkout.checkout_id)
        .execute();
    }
    after = last.checkout_id;
  }
}
