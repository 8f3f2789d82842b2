import { type Kysely, type Migration, sql } from "kysely";
import { dialectOf } from "../platform/dialect.js";
import { rebuildTable } from "../platform/rebuild-table.js";

/** The fulfilment store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_shipments": {
    async up(db) {
      await db.schema
        .createTable("shipments")
        .addColumn("shipment_id", "text", (column) => column.primaryKey())
        .addColumn("fulfilment_id", "text", (column) => column.notNull().unique())
        .addColumn("order_id", "text", (column) => column.notNull().unique())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("items", "text", (column) => column.notNull())
        .addColumn("shipping_address", "text", (column) => column.notNull())
        .addColumn("payment_id", "text", (column) => column.notNull())
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("warehouse_location", "text")
        .addColumn("weight_grams", "integer")
        .addColumn("package_count", "integer")
        .addColumn("carrier", "text")
        .addColumn("tracking_number", "text")
        .addColumn("tracking_url", "text")
        .addColumn("estimated_delivery_date", "text")
        .addColumn("signed_by", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("picked_at", "text")
        .addColumn("packed_at", "text")
        .addColumn("shipped_at", "text")
        .addColumn("delivered_at", "text")
        .addColumn("canceled_at", "text")
        .execute();
      // The warehouse's work queue: by status, oldest first.
      await db.schema.createIndex("shipments_by_status").on("shipments").columns(["status", "shipment_id"]).execute();
      await db.schema
        .createTable("tracking_events")
        .addColumn("seq", "integer", (column) => column.primaryKey().autoIncrement())
        .addColumn("shipment_id", "text", (column) => column.notNull())
        .addColumn("code", "text", (column) => column.notNull())
        .addColumn("description", "text", (column) => column.notNull())
        .addColumn("location", "text")
        .addColumn("occurred_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("tracking_by_shipment")
        .on("tracking_events")
        .columns(["shipment_id", "seq"])
        .execute();
      await db.schema
        .createTable("carrier_legs")
        .addColumn("shipment_id", "text", (column) => column.notNull())
        .addColumn("position", "integer", (column) => column.notNull())
        .addColumn("code", "text", (column) => column.notNull())
        .addColumn("location", "text")
        .addColumn("due_at", "text", (column) => column.notNull())
        .addColumn("done_at", "text")
        .addColumn("lost", "integer", (column) => column.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("carrier_legs_pk", ["shipment_id", "position"])
        .execute();
      // tick() looks for legs that are due.
      await db.schema.createIndex("carrier_legs_due").on("carrier_legs").columns(["done_at", "due_at"]).execute();
    },
  },
  "0002_returns": {
    async up(db) {
      await db.schema
        .createTable("returns")
        .addColumn("return_id", "text", (column) => column.primaryKey())
        .addColumn("rma_number", "text", (column) => column.notNull().unique())
        .addColumn("order_id", "text", (column) => column.notNull())
        .addColumn("shipment_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("items", "text", (column) => column.notNull())
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("comment", "text")
        .addColumn("refund_amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("condition", "text")
        .addColumn("receive_note", "text")
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("requested_at", "text", (column) => column.notNull())
        .addColumn("received_at", "text")
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("restock_state", "text")
        .addColumn("refund_state", "text")
        .addColumn("refund_id", "text")
        .addColumn("refund_attempts", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("refund_error", "text")
        .execute();
      await db.schema.createIndex("returns_by_order").on("returns").columns(["order_id"]).execute();
      // The return processor looks for received returns whose refund is still to be asked for.
      await db.schema.createIndex("returns_by_refund_state").on("returns").columns(["refund_state"]).execute();
    },
  },
  // A shipment's work order id and its opening tracking line follow from the shipment (shipment-views.ts): new
  // shipments store neither (the id's column, its unique index and a tracking row, ~250 bytes a checkout).
  "0003_derived_work_order_and_opening": {
    async up(db) {
      await db.deleteFrom("tracking_events").where("code", "=", "created").execute();
      if (dialectOf(db) === "postgres") {
        await sql`alter table shipments alter column fulfilment_id drop not null`.execute(db);
        await sql`alter table shipments drop constraint if exists shipments_fulfilment_id_key`.execute(db);
        return;
      }
      await rebuildShipmentsWithOptionalWorkOrder(db);
    },
  },
};

/**
 * SQLite cannot drop a column's NOT NULL or UNIQUE: the shipments table made again as 0001 made it but for those two,
 * with its rows and its other index.
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration's database has no table types.
async function rebuildShipmentsWithOptionalWorkOrder(db: Kysely<any>): Promise<void> {
  await rebuildTable(db, "shipments", (name) =>
    db.schema
      .createTable(name)
      .addColumn("shipment_id", "text", (column) => column.primaryKey())
      .addColumn("fulfilment_id", "text")
      .addColumn("order_id", "text", (column) => column.notNull().unique())
      .addColumn("customer_id", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("items", "text", (column) => column.notNull())
      .addColumn("shipping_address", "text", (column) => column.notNull())
      .addColumn("payment_id", "text", (column) => column.notNull())
      .addColumn("correlation_id", "text", (column) => column.notNull())
      .addColumn("warehouse_location", "text")
      .addColumn("weight_grams", "integer")
      .addColumn("package_count", "integer")
      .addColumn("carrier", "text")
      .addColumn("tracking_number", "text")
      .addColumn("tracking_url", "text")
      .addColumn("estimated_delivery_date", "text")
      .addColumn("signed_by", "text")
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("updated_at", "text", (column) => column.notNull())
      .addColumn("picked_at", "text")
      .addColumn("packed_at", "text")
      .addColumn("shipped_at", "text")
      .addColumn("delivered_at", "text")
      .addColumn("canceled_at", "text")
      .execute(),
  );
  await db.schema.createIndex("shipments_by_status").on("shipments").columns(["status", "shipment_id"]).execute();
}
