import type { Migration } from "kysely";
import { rebuildWithoutRowid } from "../platform/without-rowid.js";

/** The review store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_reviews": {
    async up(db) {
      await db.schema
        .createTable("reviews")
        .addColumn("review_id", "text", (column) => column.primaryKey())
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("rating", "integer", (column) => column.notNull())
        .addColumn("title", "text", (column) => column.notNull())
        .addColumn("body", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("flag_count", "integer", (column) => column.notNull())
        .addColumn("decision", "text")
        .addColumn("reason", "text")
        .addColumn("note", "text")
        .addColumn("moderated_by", "text")
        .addColumn("moderated_at", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("published_at", "text")
        .addUniqueConstraint("reviews_one_per_customer", ["product_id", "customer_id"])
        .execute();
      await db.schema
        .createIndex("reviews_published")
        .on("reviews")
        .columns(["product_id", "status", "published_at"])
        .execute();
      await db.schema.createIndex("reviews_queue").on("reviews").columns(["created_at", "review_id"]).execute();
      await db.schema
        .createTable("review_flags")
        .addColumn("review_id", "text", (column) => column.notNull().references("reviews.review_id"))
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("comment", "text")
        .addColumn("flagged_at", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("review_flags_pk", ["review_id", "customer_id"])
        .execute();
    },
  },
  "0002_projections": {
    async up(db) {
      await db.schema
        .createTable("review_purchases")
        .addColumn("order_id", "text", (column) => column.notNull())
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("paid_at", "text")
        .addColumn("delivered_at", "text")
        .addColumn("canceled_at", "text")
        .addPrimaryKeyConstraint("review_purchases_pk", ["order_id", "product_id"])
        .execute();
      await db.schema
        .createIndex("review_purchases_by_customer")
        .on("review_purchases")
        .columns(["customer_id", "product_id"])
        .execute();
      await db.schema
        .createTable("rating_aggregates")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("count", "integer", (column) => column.notNull())
        .addColumn("total", "integer", (column) => column.notNull())
        .addColumn("stars_1", "integer", (column) => column.notNull())
        .addColumn("stars_2", "integer", (column) => column.notNull())
        .addColumn("stars_3", "integer", (column) => column.notNull())
        .addColumn("stars_4", "integer", (column) => column.notNull())
        .addColumn("stars_5", "integer", (column) => column.notNull())
        .addColumn("average", "real")
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
    },
  },
  // Kept in its key's order on SQLite instead of beside an index mapping the key to a rowid (without-rowid.ts).
  "0003_review_purchases_without_rowid": {
    async up(db) {
      await rebuildWithoutRowid(db, "review_purchases");
    },
  },
};
