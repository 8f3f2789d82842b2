import type { Migration } from "kysely";
import { rebuildWithoutRowid } from "../platform/without-rowid.js";

/** The analytics store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_projections": {
    async up(db) {
      await db.schema
        .createTable("orders_by_customer")
        .addColumn("order_id", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("total_amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("item_count", "integer", (column) => column.notNull())
        .addColumn("placed_at", "text", (column) => column.notNull())
        .addColumn("paid_at", "text")
        .addColumn("canceled_at", "text")
        .addColumn("shipped_at", "text")
        .addColumn("delivered_at", "text")
        .addColumn("last_event_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("orders_by_customer_newest")
        .on("orders_by_customer")
        .columns(["customer_id", "placed_at", "order_id"])
        .execute();
      await db.schema
        .createTable("daily_revenue")
        .addColumn("date", "text", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("paid_order_count", "integer", (column) => column.notNull())
        .addColumn("gross_amount", "integer", (column) => column.notNull())
        .addColumn("canceled_order_count", "integer", (column) => column.notNull())
        .addColumn("refund_count", "integer", (column) => column.notNull())
        .addColumn("refunded_amount", "integer", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("daily_revenue_pk", ["date", "currency"])
        .execute();
    },
  },
  // Keyed by order id, whose other index already ends with it: kept in the key's order on SQLite instead of beside an
  // index mapping the key to a rowid (without-rowid.ts), ~50 bytes a checkout fewer.
  "0002_orders_by_customer_without_rowid": {
    async up(db) {
      await rebuildWithoutRowid(db, "orders_by_customer");
    },
  },
};
