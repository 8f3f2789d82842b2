import { type Migration, sql } from "kysely";

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
  // Both look-ups of carts by customer or deadline want OPEN carts only: indexes of those alone, so a checked-out or
  // expired cart leaves them (~130 bytes a checkout, and no index writes on its later changes). SQLite uses a partial
  // index only for a query naming the same literal (`status = 'OPEN'`, never a bound parameter): cart-statements.ts.
  "0002_open_cart_indexes": {
    async up(db) {
      await db.schema.dropIndex("carts_by_customer").execute();
      await db.schema.dropIndex("carts_by_expiry").execute();
      await db.schema
        .createIndex("open_carts_by_customer")
        .on("carts")
        .column("customer_id")
        .where(sql.ref("status"), "=", "OPEN")
        .execute();
      await db.schema
        .createIndex("open_carts_by_expiry")
        .on("carts")
        .column("expires_at")
        .where(sql.ref("status"), "=", "OPEN")
        .execute();
    },
  },
};
