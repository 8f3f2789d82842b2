import type { MessageOf } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { defineProjection, greatestOf, type Param, projectionStatement } from "../platform/index.js";
import type { SearchDatabase } from "./store.js";

type ProductSnapshot = MessageOf<"ecommerce.catalog.product.created.v1">["payload"]["product"];

/**
 * Write a product's document, its credited authors and categories and its FTS row from the snapshot the catalog's
 * created and updated events carry. A new product takes the next doc id (the FTS rowid) in log order, so replaying
 * the same log numbers the documents the same way.
 */
async function writeDocument(trx: Transaction<SearchDatabase>, product: ProductSnapshot, at: string): Promise<void> {
  const columns = {
    isbn: product.isbn,
    title: product.title,
    subtitle: product.subtitle ?? null,
    description: product.description,
    author_names: JSON.stringify(product.authors.map((author) => author.name)),
    publisher_name: product.publisher.name,
    format: product.format,
    price_amount: product.price.amount,
    price_currency: product.price.currency,
    cover_image_url: product.coverImageUrl ?? null,
    status: product.status,
    created_at: product.createdAt,
    updated_at: at,
  };
  const existing = await trx
    .selectFrom("search_documents")
    .select("doc_id")
    .where("product_id", "=", product.productId)
    .executeTakeFirst();
  let docId: number;
  if (existing) {
    docId = existing.doc_id;
    await trx.updateTable("search_documents").set(columns).where("doc_id", "=", docId).execute();
    await trx.deleteFrom("search_fts").where("rowid", "=", docId).execute();
  } else {
    const last = await trx
      .selectFrom("search_documents")
      .select((eb) => eb.fn.max("doc_id").as("doc_id"))
      .executeTakeFirst();
    docId = Number(last?.doc_id ?? 0) + 1;
    await trx
      .insertInto("search_documents")
      .values({ doc_id: docId, product_id: product.productId, ...columns })
      .execute();
  }
  await trx
    .insertInto("search_fts")
    .values({
      rowid: docId,
      title: product.title,
      subtitle: product.subtitle ?? "",
      authors: product.authors.map((author) => author.name).join(", "),
      publisher: product.publisher.name,
      description: product.description,
      isbn: product.isbn,
    })
    .execute();
  await trx.deleteFrom("search_document_authors").where("product_id", "=", product.productId).execute();
  await trx
    .insertInto("search_document_authors")
    .values(
      product.authors.map((author, position) => ({
        product_id: product.productId,
        author_id: author.authorId,
        name: author.name,
        position,
      })),
    )
    // The contract does not forbid an author credited twice on one book; the first credit counts.
    .onConflict((conflict) => conflict.columns(["product_id", "author_id"]).doNothing())
    .execute();
  await trx.deleteFrom("search_document_categories").where("product_id", "=", product.productId).execute();
  await trx
    .insertInto("search_document_categories")
    .values(product.categoryIds.map((categoryId) => ({ product_id: product.productId, category_id: categoryId })))
    .execute();
}

/**
 * The `search_document` projection of contexts.yaml: what `GET /search` finds and shows, from the catalog's product
 * events, inventory's stock events and review's rating events. Stock and rating live in tables of their own keyed by
 * product, so their events may arrive in any order relative to the product's.
 */
export const documentProjection = defineProjection<SearchDatabase>({
  name: "search_document",
  tables: [
    "search_documents",
    "search_fts",
    "search_document_authors",
    "search_document_categories",
    "search_stock",
    "search_ratings",
  ],
  handlers: {
    "ecommerce.catalog.product.created.v1": (message, trx) =>
      writeDocument(trx, message.payload.product, message.occurredAt),
    "ecommerce.catalog.product.updated.v1": (message, trx) =>
      writeDocument(trx, message.payload.product, message.occurredAt),
    "ecommerce.catalog.product.price_changed.v1": async (message, trx) => {
      const { productId, price } = message.payload;
      await trx
        .updateTable("search_documents")
        .set({ price_amount: price.amount, price_currency: price.currency, updated_at: message.occurredAt })
        .where("product_id", "=", productId)
        .execute();
    },
    "ecommerce.catalog.product.discontinued.v1": async (message, trx) => {
      await trx
        .updateTable("search_documents")
        .set({ status: "DISCONTINUED", updated_at: message.occurredAt })
        .where("product_id", "=", message.payload.productId)
        .execute();
    },
    "ecommerce.inventory.stock.adjusted.v1": async (message, trx) => {
      const { productId, onHand, reserved } = message.payload;
      await trx
        .insertInto("search_stock")
        .values({ product_id: productId, on_hand: onHand, reserved, updated_at: message.occurredAt })
        .onConflict((conflict) =>
          conflict.column("product_id").doUpdateSet({ on_hand: onHand, reserved, updated_at: message.occurredAt }),
        )
        .execute();
    },
    "ecommerce.inventory.stock.committed.v1": (message, trx) => commitStock(message, trx),
    "ecommerce.review.rating.updated.v1": async (message, trx) => {
      const { productId, average, count, updatedAt } = message.payload;
      await trx
        .insertInto("search_ratings")
        .values({ product_id: productId, average, count, updated_at: updatedAt })
        .onConflict((conflict) =>
          conflict
            .column("product_id")
            .doUpdateSet({ average, count, updated_at: updatedAt })
            .where("search_ratings.updated_at", "<=", updatedAt),
        )
        .execute();
    },
  },
});

/** One committed line off a product's stock, never below zero (every checkout's commit). */
const takeCommitted = projectionStatement(
  (db: Kysely<SearchDatabase>, param: Param<{ productId: string; quantity: number; at: string }>) =>
    db
      .updateTable("search_stock")
      .set((eb) => ({
        on_hand: eb.fn(greatestOf(db), [eb("on_hand", "-", param("quantity")), eb.lit(0)]),
        reserved: eb.fn(greatestOf(db), [eb("reserved", "-", param("quantity")), eb.lit(0)]),
        updated_at: param("at"),
      }))
      .where("product_id", "=", param("productId")),
);

/**
 * Committed copies leave the shelf: on hand and reserved both drop by the quantity (what was available is unchanged,
 * since those copies were already held). The reservations in between are inventory's and not sent here, so
 * `reserved` is as of the last adjustment, less what has been committed since.
 */
async function commitStock(
  message: MessageOf<"ecommerce.inventory.stock.committed.v1">,
  trx: Transaction<SearchDatabase>,
): Promise<void> {
  const statement = takeCommitted(trx);
  for (const item of message.payload.items)
    await statement.execute(trx, { productId: item.productId, quantity: item.quantity, at: message.occurredAt });
}
