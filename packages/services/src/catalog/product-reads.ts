import type { Kysely } from "kysely";
import {
  type CompiledStatement,
  compileQuery,
  decodeQueryCursor,
  fail,
  type Param,
  pageOf,
} from "../platform/index.js";
import { productValues, readProductValues } from "./product-json.js";
import { type ProductRow, type ProductView, toPriceHistoryEntry } from "./product-views.js";
import type { BookFormat, CatalogDatabase, ProductStatus } from "./store.js";

/** The filters of the REST product list. */
export interface ProductFilters {
  readonly categoryId?: string | undefined;
  readonly authorId?: string | undefined;
  readonly publisherId?: string | undefined;
  readonly format?: BookFormat | undefined;
  readonly isbn?: string | undefined;
  readonly status: ProductStatus;
}

/** Which page of a list: after the cursor a previous page gave, at most `limit` items. */
export interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

const isIdPosition = (value: Record<string, unknown>): value is { id: string } => typeof value.id === "string";
const isSeqPosition = (value: Record<string, unknown>): value is { seq: number } => Number.isSafeInteger(value.seq);

/** Products with their rating projection, the base of every product read. */
function selectProducts(db: Kysely<CatalogDatabase>) {
  return db
    .selectFrom("products")
    .leftJoin("product_ratings", "product_ratings.product_id", "products.product_id")
    .selectAll("products")
    .select(["product_ratings.average as rating_average", "product_ratings.count as rating_count"]);
}

/** Products as one JSON array of their values each (see product-json.ts), with their id for keyset pages. */
function selectProductValues(db: Kysely<CatalogDatabase>) {
  return db
    .selectFrom("products")
    .leftJoin("product_ratings", "product_ratings.product_id", "products.product_id")
    .select(["products.product_id", productValues(db).as("json")]);
}

const parseProduct = (row: { readonly json: string }) => readProductValues(row.json);

/** A product with its rating, as a change reads it before changing it (in its transaction); 404 when there is none. */
export async function loadProduct(trx: Kysely<CatalogDatabase>, productId: string): Promise<ProductRow> {
  const row = await selectProducts(trx).where("products.product_id", "=", productId).executeTakeFirst();
  if (!row) throw fail.notFound(`product ${productId}`);
  return row;
}

/** The values of a product list's query; a filter a call does not give is not in its query's shape either. */
interface ListParams {
  status: ProductStatus;
  categoryId: string | undefined;
  authorId: string | undefined;
  publisherId: string | undefined;
  format: BookFormat | undefined;
  isbn: string | undefined;
  after: string | undefined;
  limit: number;
}

/** The optional filters of a list, in the order its query adds their clauses. */
const LIST_FILTERS = ["categoryId", "authorId", "publisherId", "format", "isbn", "after"] as const;

/**
 * The statement of a product list with the filters `present`, built and compiled once per combination of filters
 * (at most 64): the query builder cost as much as SQLite's run of the read.
 */
function createListStatements(db: Kysely<CatalogDatabase>) {
  const listShapes = new Map<string, CompiledStatement<ListParams, { product_id: string; json: string }>>();
  return (present: readonly (typeof LIST_FILTERS)[number][]) => {
    const shape = present.join(",");
    let statement = listShapes.get(shape);
    if (!statement) {
      const has = new Set(present);
      statement = compileQuery((param: Param<ListParams>) => {
        let query = selectProductValues(db).where("products.status", "=", param("status"));
        if (has.has("categoryId"))
          query = query.where("products.product_id", "in", (eb) =>
            eb.selectFrom("product_categories").select("product_id").where("category_id", "=", param("categoryId")!),
          );
        if (has.has("authorId"))
          query = query.where("products.product_id", "in", (eb) =>
            eb.selectFrom("product_authors").select("product_id").where("author_id", "=", param("authorId")!),
          );
        if (has.has("publisherId")) query = query.where("products.publisher_id", "=", param("publisherId")!);
        if (has.has("format")) query = query.where("products.format", "=", param("format")!);
        if (has.has("isbn")) query = query.where("products.isbn", "=", param("isbn")!);
        if (has.has("after")) query = query.where("products.product_id", "<", param("after")!);
        return query.orderBy("products.product_id", "desc").limit(param("limit"));
      });
      listShapes.set(shape, statement);
    }
    return statement;
  };
}

/** The catalog's product reads the REST surface offers. */
export function createProductReads(db: Kysely<CatalogDatabase>) {
  // Built and compiled once: the query builder cost as much as SQLite's run of the read.
  const productById = compileQuery((param: Param<{ productId: string }>) =>
    selectProductValues(db).where("products.product_id", "=", param("productId")),
  );
  const listOf = createListStatements(db);

  return {
    /** One product, DISCONTINUED ones too. */
    async get(productId: string): Promise<ProductView> {
      const row = await productById.executeTakeFirst(db, { productId });
      if (!row) throw fail.notFound(`product ${productId}`);
      return parseProduct(row);
    },

    /** One page of products matching every filter, newest first (descending id, which is creation order). */
    async list(filters: ProductFilters, page: PageRequest) {
      const after = decodeQueryCursor(page.cursor, { ...filters }, isIdPosition);
      const { categoryId, authorId, publisherId, format, isbn } = filters;
      const given = { categoryId, authorId, publisherId, format, isbn, after: after?.id };
      const present = LIST_FILTERS.filter((name) => Boolean(given[name]));
      const rows = await listOf(present).execute(db, { ...given, status: filters.status, limit: page.limit + 1 });
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { ...filters },
        positionOf: (row) => ({ id: row.product_id }),
      });
      return { ...result, items: result.items.map(parseProduct) };
    },

    /** One page of a product's price entries, newest first. */
    async priceHistory(productId: string, page: PageRequest) {
      const exists = await db
        .selectFrom("products")
        .select("product_id")
        .where("product_id", "=", productId)
        .executeTakeFirst();
      if (!exists) throw fail.notFound(`product ${productId}`);
      let query = db.selectFrom("price_history").selectAll().where("product_id", "=", productId);
      const after = decodeQueryCursor(page.cursor, { productId }, isSeqPosition);
      if (after) query = query.where("seq", "<", after.seq);
      const rows = await query
        .orderBy("seq", "desc")
        .limit(page.limit + 1)
        .execute();
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { productId },
        positionOf: (row) => ({ seq: row.seq }),
      });
      return { ...result, items: result.items.map(toPriceHistoryEntry) };
    },
  };
}
