import type { MessageOf } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { defineProjection, greatestOf, type Param, projectionStatement } from "../platform/index.js";
import { type DocumentColumns, documentStatements } from "./document-statements.js";
import type { SearchDatabase } from "./store.js";

type ProductSnapshot = MessageOf<"ecommerce.catalog.product.created.v1">["payload"]["product"];

/**
 * Write a product's document, its credited authors and categories and its FTS row from the snapshot the catalog's
 * created and updated events carry. A new product takes the next doc id (the FTS rowid) in log order, so replaying
 * the same log numbers the documents the same way.
 */
async function writeDocument(trx: Transaction<SearchDatabase>, product: ProductSnapshot, at: string): Promise<void> {
  const { productId } = product;
  const columns: DocumentColumns = {
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
  const existing = await documentStatements.docIdOf(trx).executeTakeFirst(trx, { productId });
  let docId: number;
  if (existing) {
    docId = existing.doc_id;
    await documentStatements.updateDocument(trx).execute(trx, { ...columns, docId });
    await documentStatements.deleteFts(trx).execute(trx, { docId });
  } else {
    const last = await documentStatements.lastDocId(trx).executeTakeFirst(trx);
    docId = Number(last?.doc_id ?? 0) + 1;
    await documentStatements.insertDocument(trx).execute(trx, { ...columns, docId, productId });
  }
  await documentStatements.insertFts(trx).execute(trx, {
    rowid: docId,
    title: product.title,
    subtitle: product.subtitle ?? "",
    authors: product.authors.map((author) => author.name).join(", "),
    publisher: product.publisher.name,
    description: product.description,
    isbn: product.isbn,
  });
  await documentStatements.deleteAuthors(trx).execute(trx, { productId });
  const insertAuthor = documentStatements.insertAuthor(trx);
  for (const [position, author] of product.authors.entries())
    await insertAuthor.execute(trx, { productId, authorId: author.authorId, name: author.name, position });
  await documentStatements.deleteCategories(trx).execute(trx, { productId });
  const insertCategory = documentStatements.insertCategory(trx);
  for (const categoryId of product.categoryIds) await insertCategory.execute(trx, { productId, categoryId });
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
      await documentStatements.setStock(trx).execute(trx, { productId, onHand, reserved, at: message.occurredAt });
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
