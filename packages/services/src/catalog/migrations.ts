import { type Migration, sql } from "kysely";

/** The catalog store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_reference_data": {
    async up(db) {
      await db.schema
        .createTable("categories")
        .addColumn("category_id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("slug", "text", (column) => column.notNull())
        .addColumn("parent_id", "text", (column) => column.references("categories.category_id"))
        .addColumn("description", "text")
        .addColumn("display_order", "integer", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      // Slugs are unique among siblings; top-level categories (no parent) are siblings of each other too.
      await sql`create unique index categories_slug_among_siblings on categories (coalesce(parent_id, ''), slug)`.execute(
        db,
      );
      await db.schema
        .createTable("authors")
        .addColumn("author_id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("bio", "text")
        .addColumn("birth_date", "text")
        .addColumn("nationality", "text")
        .addColumn("website", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("authors_by_name").on("authors").columns(["name", "author_id"]).execute();
      await db.schema
        .createTable("publishers")
        .addColumn("publisher_id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull().unique())
        .addColumn("country", "text")
        .addColumn("website", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
    },
  },
  "0002_products": {
    async up(db) {
      await db.schema
        .createTable("products")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("isbn", "text", (column) => column.notNull().unique())
        .addColumn("title", "text", (column) => column.notNull())
        .addColumn("subtitle", "text")
        .addColumn("description", "text", (column) => column.notNull())
        .addColumn("authors", "text", (column) => column.notNull())
        .addColumn("publisher_id", "text", (column) => column.notNull().references("publishers.publisher_id"))
        .addColumn("publisher_name", "text", (column) => column.notNull())
        .addColumn("publication_date", "text", (column) => column.notNull())
        .addColumn("language", "text", (column) => column.notNull())
        .addColumn("pages", "integer", (column) => column.notNull())
        .addColumn("format", "text", (column) => column.notNull())
        .addColumn("category_ids", "text", (column) => column.notNull())
        .addColumn("cover_image_url", "text")
        .addColumn("price_amount", "integer", (column) => column.notNull())
        .addColumn("price_currency", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .addColumn("discontinued_at", "text")
        .addColumn("discontinue_reason", "text")
        .addColumn("discontinue_note", "text")
        .execute();
      await db.schema.createIndex("products_by_status").on("products").columns(["status", "product_id"]).execute();
      await db.schema
        .createIndex("products_by_publisher")
        .on("products")
        .columns(["publisher_id", "product_id"])
        .execute();
      await db.schema
        .createTable("product_authors")
        .addColumn("product_id", "text", (column) => column.notNull().references("products.product_id"))
        .addColumn("author_id", "text", (column) => column.notNull().references("authors.author_id"))
        .addColumn("position", "integer", (column) => column.notNull())
        .addPrimaryKeyConstraint("product_authors_pk", ["product_id", "author_id"])
        .execute();
      await db.schema
        .createIndex("product_authors_by_author")
        .on("product_authors")
        .columns(["author_id", "product_id"])
        .execute();
      await db.schema
        .createTable("product_categories")
        .addColumn("product_id", "text", (column) => column.notNull().references("products.product_id"))
        .addColumn("category_id", "text", (column) => column.notNull().references("categories.category_id"))
        .addPrimaryKeyConstraint("product_categories_pk", ["product_id", "category_id"])
        .execute();
      await db.schema
        .createIndex("product_categories_by_category")
        .on("product_categories")
        .columns(["category_id", "product_id"])
        .execute();
      await db.schema
        .createTable("price_history")
        .addColumn("seq", "integer", (column) => column.primaryKey().autoIncrement())
        .addColumn("product_id", "text", (column) => column.notNull().references("products.product_id"))
        .addColumn("amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("effective_from", "text", (column) => column.notNull())
        .addColumn("effective_until", "text")
        .addColumn("changed_by", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("price_history_by_product")
        .on("price_history")
        .columns(["product_id", "seq"])
        .execute();
      // At most one open (current) price per product.
      await sql`create unique index price_history_one_open on price_history (product_id) where effective_until is null`.execute(
        db,
      );
    },
  },
  "0003_product_ratings": {
    async up(db) {
      await db.schema
        .createTable("product_ratings")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("average", "real")
        .addColumn("count", "integer", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
    },
  },
};
