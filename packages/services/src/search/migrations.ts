import type { Migration } from "kysely";
import { createFullTextIndex } from "./full-text.js";

/** The search store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_search_documents": {
    async up(db) {
      await db.schema
        .createTable("search_documents")
        .addColumn("doc_id", "integer", (column) => column.primaryKey())
        .addColumn("product_id", "text", (column) => column.notNull().unique())
        .addColumn("isbn", "text", (column) => column.notNull())
        .addColumn("title", "text", (column) => column.notNull())
        .addColumn("subtitle", "text")
        .addColumn("description", "text", (column) => column.notNull())
        .addColumn("author_names", "text", (column) => column.notNull())
        .addColumn("publisher_name", "text", (column) => column.notNull())
        .addColumn("format", "text", (column) => column.notNull())
        .addColumn("price_amount", "integer", (column) => column.notNull())
        .addColumn("price_currency", "text", (column) => column.notNull())
        .addColumn("cover_image_url", "text")
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("search_documents_by_isbn").on("search_documents").column("isbn").execute();
      await db.schema
        .createTable("search_document_authors")
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("author_id", "text", (column) => column.notNull())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("position", "integer", (column) => column.notNull())
        .addPrimaryKeyConstraint("search_document_authors_pk", ["product_id", "author_id"])
        .execute();
      await db.schema
        .createIndex("search_document_authors_by_author")
        .on("search_document_authors")
        .columns(["author_id", "product_id"])
        .execute();
      await db.schema
        .createTable("search_document_categories")
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("category_id", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("search_document_categories_pk", ["product_id", "category_id"])
        .execute();
      await db.schema
        .createIndex("search_document_categories_by_category")
        .on("search_document_categories")
        .columns(["category_id", "product_id"])
        .execute();
      // FTS5 on SQLite, a tsvector table on PostgreSQL: full-text.ts.
      await createFullTextIndex(db);
      await db.schema
        .createTable("search_stock")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("on_hand", "integer", (column) => column.notNull())
        .addColumn("reserved", "integer", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("search_ratings")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("average", "real")
        .addColumn("count", "integer", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("search_categories")
        .addColumn("category_id", "text", (column) => column.primaryKey())
        .addColumn("name", "text", (column) => column.notNull())
        .addColumn("parent_id", "text")
        .execute();
      await db.schema
        .createTable("search_category_paths")
        .addColumn("category_id", "text", (column) => column.notNull())
        .addColumn("ancestor_id", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("search_category_paths_pk", ["ancestor_id", "category_id"])
        .execute();
    },
  },
  "0002_recommendations": {
    async up(db) {
      await db.schema
        .createTable("search_order_lines")
        .addColumn("order_id", "text", (column) => column.notNull())
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("quantity", "integer", (column) => column.notNull())
        .addColumn("ordered_at", "text", (column) => column.notNull())
        .addPrimaryKeyConstraint("search_order_lines_pk", ["order_id", "product_id"])
        .execute();
      await db.schema
        .createIndex("search_order_lines_by_time")
        .on("search_order_lines")
        .columns(["ordered_at", "product_id"])
        .execute();
      await db.schema
        .createIndex("search_order_lines_by_customer")
        .on("search_order_lines")
        .columns(["customer_id", "product_id"])
        .execute();
      await db.schema
        .createIndex("search_order_lines_by_product")
        .on("search_order_lines")
        .columns(["product_id", "customer_id"])
        .execute();
      await db.schema
        .createTable("search_interactions")
        .addColumn("interaction_id", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("product_id", "text", (column) => column.notNull())
        .addColumn("interaction", "text", (column) => column.notNull())
        .addColumn("source", "text")
        .addColumn("search_query", "text")
        .addColumn("occurred_at", "text", (column) => column.notNull())
        .addColumn("recorded_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("search_interactions_by_customer")
        .on("search_interactions")
        .columns(["customer_id", "occurred_at"])
        .execute();
    },
  },
  "0003_inventory_snapshots": {
    async up(db) {
      await db.schema
        .createTable("search_inventory_snapshots")
        .addColumn("product_id", "text", (column) => column.primaryKey())
        .addColumn("on_hand", "integer", (column) => column.notNull())
        .addColumn("reserved", "integer", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
    },
  },
};
