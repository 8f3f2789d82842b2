import { type Kysely, type Migration, sql } from "kysely";
import { dialectOf } from "../platform/dialect.js";
import { rebuildTable } from "../platform/rebuild-table.js";

/** The inventory store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_stock": {
    async up(db) {
      await db.schema
        .createTable("stock_levels")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("on_hand", "integer", (column) => column.notNull().check(sql`on_hand >= 0`))
        .addColumn("reserved", "integer", (column) => column.notNull())
        .addColumn("reorder_level", "integer", (column) => column.notNull())
        .addColumn("alert_status", "text", (column) => column.notNull())
        .addColumn("discontinued_at", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        // The last line of defence against overselling: no statement may leave more reserved than on hand.
        .addCheckConstraint("stock_levels_reserved_within_on_hand", sql`reserved >= 0 and reserved <= on_hand`)
        .execute();
      await db.schema
        .createTable("reservations")
        .addColumn("reservation_id", "text", (column) => column.primaryKey())
        .addColumn("checkout_id", "text", (column) => column.notNull().unique())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("items", "text", (column) => column.notNull())
        .addColumn("shortages", "text")
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("reserved_event_id", "text")
        .addColumn("order_id", "text")
        .addColumn("release_reason", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("expires_at", "text")
        .addColumn("committed_at", "text")
        .addColumn("released_at", "text")
        .execute();
      // tick() looks for held reservations that are due.
      await db.schema.createIndex("reservations_due").on("reservations").columns(["status", "expires_at"]).execute();
      await db.schema
        .createTable("adjustments")
        .addColumn("adjustment_id", "text", (column) => column.primaryKey())
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("delta", "integer", (column) => column.notNull())
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("source", "text", (column) => column.notNull())
        .addColumn("note", "text")
        .addColumn("adjusted_by", "text")
        .addColumn("device_id", "text")
        .addColumn("on_hand_after", "integer", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("adjustments_by_product")
        .on("adjustments")
        .columns(["product_id", "adjustment_id"])
        .execute();
      await db.schema
        .createTable("device_reports")
        .addColumn("device_id", "text", (column) => column.notNull())
        .addColumn("sequence", "integer", (column) => column.notNull())
        .addColumn("adjustment_id", "text", (column) => column.notNull())
        .addColumn("applied_at", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("device_reports_pk", ["device_id", "sequence"])
        .execute();
    },
  },
  "0002_return_restocks": {
    async up(db) {
      // RestockReturn's record per return: a repeated call finds it and restocks nothing more.
      await db.schema
        .createTable("return_restocks")
        .addColumn("return_id", "text", (column) => column.primaryKey())
        .addColumn("adjustment_ids", "text", (column) => column.notNull())
        .addColumn("restocked_at", "text", (column) => column.notNull())
        .execute();
    },
  },
  "0003_device_feed": {
    async up(db) {
      // ISBN-13 → product, kept from catalog's product.created (a projection: `ecom replay` rebuilds it), so a device
      // report addressed by SKU finds its product without asking the catalog.
      await db.schema
        .createTable("product_skus")
        .addColumn("isbn", "text", (column) => column.primaryKey())
        .addColumn("product_id", "text", (column) => column.notNull())
        .execute();
      // Device reports refused, with why: the feed's dead letters, read at GET /_sim/device-feed.
      await db.schema
        .createTable("device_dead_letters")
        .addColumn("dead_letter_id", "text", (column) => column.primaryKey())
        .addColumn("topic", "text")
        .addColumn("payload", "text", (column) => column.notNull())
        .addColumn("device_id", "text")
        .addColumn("sequence", "integer")
        .addColumn("product_id", "text")
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("dead_lettered_at", "text", (column) => column.notNull())
        .execute();
    },
  },
  // Only RESERVED reservations are ever due: an index of those alone, which a committed or released one leaves (~60
  // bytes a checkout). SQLite uses a partial index only for a query naming the same literal (reservations.ts).
  "0004_reserved_by_expiry": {
    async up(db) {
      await db.schema.dropIndex("reservations_due").execute();
      await db.schema
        .createIndex("reserved_by_expiry")
        .on("reservations")
        .column("expires_at")
        .where(sql.ref("status"), "=", "RESERVED")
        .execute();
    },
  },
  // A reservation whose flow is its checkout (the saga's, all of them today) stores no correlation id: store.ts.
  "0005_optional_reservation_correlation": {
    async up(db) {
      if (dialectOf(db) === "postgres") {
        await sql`alter table reservations alter column correlation_id drop not null`.execute(db);
        return;
      }
      await rebuildReservationsWithOptionalCorrelation(db);
    },
  },
};

/**
 * SQLite cannot drop a column's NOT NULL: the reservations table made again as 0001 made it but for that, with its
 * rows and its index of RESERVED ones (0004).
 */
// biome-ignore lint/suspicious/noExplicitAny: a migration's database has no table types.
async function rebuildReservationsWithOptionalCorrelation(db: Kysely<any>): Promise<void> {
  await rebuildTable(db, "reservations", (name) =>
    db.schema
      .createTable(name)
      .addColumn("reservation_id", "text", (column) => column.primaryKey())
      .addColumn("checkout_id", "text", (column) => column.notNull().unique())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("items", "text", (column) => column.notNull())
      .addColumn("shortages", "text")
      .addColumn("correlation_id", "text")
      .addColumn("reserved_event_id", "text")
      .addColumn("order_id", "text")
      .addColumn("release_reason", "text")
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("expires_at", "text")
      .addColumn("committed_at", "text")
      .addColumn("released_at", "text")
      .execute(),
  );
  await db.schema
    .createIndex("reserved_by_expiry")
    .on("reservations")
    .column("expires_at")
    .where(sql.ref("status"), "=", "RESERVED")
    .execute();
}
