import type { Migration } from "kysely";

/** The cart store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_carts": {
    async up(db) {
      await db.schema
        .createTable("carts")
        .addColumn("cart_id", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("expires_at", "text", (column) => column.notNull())
        .addColumn("checkout_id", "text")
        .execute();
      // createCart finds the customer's open cart; expiry finds open carts by deadline.
      await db.schema.createIndex("carts_by_customer").on("carts").columns(["customer_id", "status"]).execute();
      await db.schema.createIndex("carts_by_expiry").on("carts").columns(["status", "expires_at"]).execute();

      await db.schema
        .createTable("cart_items")
        .addColumn("item_id", "text", (column) => column.primaryKey())
        .addColumn("cart_id", "text", (column) => column.notNull().references("carts.cart_id"))
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("isbn", "text", (column) => column.notNull())
        .addColumn("title", "text", (column) => column.notNull())
        .addColumn("quantity", "integer", (column) => column.notNull())
        .addColumn("unit_price", "integer", (column) => column.notNull())
        .addColumn("price_as_of", "text", (column) => column.notNull())
        .addColumn("available", "integer", (column) => column.notNull())
        .addColumn("added_at", "text", (column) => column.notNull())
        .addUniqueConstraint("cart_items_one_line_per_product", ["cart_id", "product_id"])
        .execute();
      // Catalog events update every cart holding a product.
      await db.schema.createIndex("cart_items_by_product").on("cart_items").columns(["product_id"]).execute();
    },
  },
};
