import { type Migration, sql } from "kysely";

/** The promotion store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_promotions": {
    async up(db) {
      await db.schema
        .createTable("promotions")
        .addColumn("promotion_id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("description", "text")
        .addColumn("discount_type", "text", (column) => column.notNull())
        .addColumn("percent_off", "integer")
        .addColumn("amount_off", "integer")
        .addColumn("amount_off_currency", "text")
        .addColumn("scope_type", "text", (column) => column.notNull())
        .addColumn("scope_ids", "text", (column) => column.notNull())
        .addColumn("minimum_amount", "integer")
        .addColumn("minimum_currency", "text")
        .addColumn("valid_from", "text", (column) => column.notNull())
        .addColumn("valid_until", "text")
        .addColumn("usage_limit", "integer")
        .addColumn("per_customer_limit", "integer")
        .addColumn("requires_coupon", "integer", (column) => column.notNull())
        .addColumn("stackable", "integer", (column) => column.notNull())
        .addColumn("usage_count", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("disabled_at", "text")
        .execute();
      // Automatic promotions in force are read on every quote.
      await db.schema
        .createIndex("promotions_automatic")
        .on("promotions")
        .columns(["requires_coupon", "valid_from"])
        .execute();

      await db.schema
        .createTable("coupons")
        .addColumn("code", "text", (column) => column.primaryKey())
        .addColumn("promotion_id", "text", (column) => column.notNull().references("promotions.promotion_id"))
        .addColumn("usage_limit", "integer")
        .addColumn("per_customer_limit", "integer")
        .addColumn("usage_count", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("valid_until", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("deactivated_at", "text")
        .execute();
      await db.schema.createIndex("coupons_by_promotion").on("coupons").columns(["promotion_id"]).execute();
      await db.schema.createIndex("coupons_newest").on("coupons").columns(["created_at", "code"]).execute();

      await db.schema
        .createTable("redemptions")
        .addColumn("order_id", "text", (column) => column.notNull())
        .addColumn("promotion_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("coupon_code", "text")
        .addColumn("discount_amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("redeemed_at", "text", (column) => column.notNull())
        .addColumn("released_at", "text")
        .addPrimaryKeyConstraint("redemptions_pk", ["order_id", "promotion_id"])
        .execute();
      await db.schema
        .createIndex("redemptions_by_customer")
        .on("redemptions")
        .columns(["customer_id", "promotion_id"])
        .where(sql.ref("released_at"), "is", null)
        .execute();
    },
  },
  "0002_flash_sales": {
    async up(db) {
      await db.schema
        .createTable("flash_sales")
        .addColumn("flash_sale_id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("starts_at", "text", (column) => column.notNull())
        .addColumn("ends_at", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("canceled_at", "text")
        .addColumn("started_event_id", "text")
        .addColumn("ended_event_id", "text")
        .execute();
      // `tick` looks for sales whose start or end event is due.
      await db.schema
        .createIndex("flash_sales_pending")
        .on("flash_sales")
        .columns(["ended_event_id", "starts_at"])
        .execute();
      await db.schema
        .createTable("flash_sale_items")
        .addColumn("flash_sale_id", "text", (column) => column.notNull().references("flash_sales.flash_sale_id"))
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("position", "integer", (column) => column.notNull())
        .addColumn("sale_amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("max_per_customer", "integer")
        .addPrimaryKeyConstraint("flash_sale_items_pk", ["flash_sale_id", "product_id"])
        .execute();
      await db.schema
        .createIndex("flash_sale_items_by_product")
        .on("flash_sale_items")
        .columns(["product_id"])
        .execute();
    },
  },
};
