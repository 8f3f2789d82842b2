import type { Kysely, Selectable } from "kysely";
import { type Param, projectionStatement } from "../platform/index.js";
import { stockLevelUpsert } from "./stock-level-statement.js";
import type { SearchDatabase, SearchDocumentTable, SearchFtsTable } from "./store.js";

/** A document's columns that its product's snapshot sets (all but its doc id and product id). */
export type DocumentColumns = Omit<Selectable<SearchDocumentTable>, "doc_id" | "product_id">;

/**
 * The statements that write a product's document, each built and compiled once per dialect (projectionStatement): the
 * seed's catalog writes one document per book, at every first start, and the query builder cost more than the
 * statements it built.
 */
export const documentStatements = {
  docIdOf: projectionStatement((db: Kysely<SearchDatabase>, param: Param<{ productId: string }>) =>
    db.selectFrom("search_documents").select("doc_id").where("product_id", "=", param("productId")),
  ),
  lastDocId: projectionStatement((db: Kysely<SearchDatabase>) =>
    db.selectFrom("search_documents").select((eb) => eb.fn.max("doc_id").as("doc_id")),
  ),
  insertDocument: projectionStatement(
    (db: Kysely<SearchDatabase>, param: Param<DocumentColumns & { docId: number; productId: string }>) =>
      db.insertInto("search_documents").values({
        doc_id: param("docId"),
        product_id: param("productId"),
        ...documentColumns(param),
      }),
  ),
  updateDocument: projectionStatement((db: Kysely<SearchDatabase>, param: Param<DocumentColumns & { docId: number }>) =>
    db.updateTable("search_documents").set(documentColumns(param)).where("doc_id", "=", param("docId")),
  ),
  deleteFts: projectionStatement((db: Kysely<SearchDatabase>, param: Param<{ docId: number }>) =>
    db.deleteFrom("search_fts").where("rowid", "=", param("docId")),
  ),
  insertFts: projectionStatement((db: Kysely<SearchDatabase>, param: Param<SearchFtsTable>) =>
    db.insertInto("search_fts").values({
      rowid: param("rowid"),
      title: param("title"),
      subtitle: param("subtitle"),
      authors: param("authors"),
      publisher: param("publisher"),
      description: param("description"),
      isbn: param("isbn"),
    }),
  ),
  deleteAuthors: projectionStatement((db: Kysely<SearchDatabase>, param: Param<{ productId: string }>) =>
    db.deleteFrom("search_document_authors").where("product_id", "=", param("productId")),
  ),
  // The contract does not forbid an author credited twice on one book; the first credit counts.
  insertAuthor: projectionStatement(
    (
      db: Kysely<SearchDatabase>,
      param: Param<{ productId: string; authorId: string; name: string; position: number }>,
    ) =>
      db
        .insertInto("search_document_authors")
        .values({
          product_id: param("productId"),
          author_id: param("authorId"),
          name: param("name"),
          position: param("position"),
        })
        .onConflict((conflict) => conflict.columns(["product_id", "author_id"]).doNothing()),
  ),
  deleteCategories: projectionStatement((db: Kysely<SearchDatabase>, param: Param<{ productId: string }>) =>
    db.deleteFrom("search_document_categories").where("product_id", "=", param("productId")),
  ),
  insertCategory: projectionStatement(
    (db: Kysely<SearchDatabase>, param: Param<{ productId: string; categoryId: string }>) =>
      db
        .insertInto("search_document_categories")
        .values({ product_id: param("productId"), category_id: param("categoryId") }),
  ),
  /** A product's stock as a stock.adjusted tells its level after the adjustment. */
  setStock: stockLevelUpsert("search_stock"),
};

/** The document's columns, each a value of the statement. */
function documentColumns(param: Param<DocumentColumns>): DocumentColumns {
  return {
    isbn: param("isbn"),
    title: param("title"),
    subtitle: param("subtitle"),
    description: param("description"),
    author_names: param("author_names"),
    publisher_name: param("publisher_name"),
    format: param("format"),
    price_amount: param("price_amount"),
    price_currency: param("price_currency"),
    cover_image_url: param("cover_image_url"),
    status: param("status"),
    created_at: param("created_at"),
    updated_at: param("updated_at"),
  };
}
