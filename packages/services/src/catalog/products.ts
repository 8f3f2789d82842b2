import type { catalogApi } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import {
  type CompiledStatement,
  type ContextRuntime,
  compileQuery,
  decodeQueryCursor,
  fail,
  type Param,
  pageOf,
} from "../platform/index.js";
import { planPriceChange } from "./price-change.js";
import { productValues, readProductValues } from "./product-json.js";
import { applyProductPatch, type DescriptiveFields, type ProductPatch } from "./product-patch.js";
import {
  type AuthorRef,
  type ProductRow,
  type ProductView,
  toPriceHistoryEntry,
  toProductSnapshot,
  toProductView,
} from "./product-views.js";
import type { BookFormat, CatalogDatabase, PriceChangeReason, ProductStatus, ProductTable } from "./store.js";

type Schemas = catalogApi.components["schemas"];

/** A product ready to insert: its references already resolved to ids and names. */
export interface NewProduct {
  readonly isbn: string;
  readonly title: string;
  readonly subtitle?: string | undefined;
  readonly description: string;
  readonly authors: readonly AuthorRef[];
  readonly publisher: { readonly publisherId: string; readonly name: string };
  readonly publicationDate: string;
  readonly language: string;
  readonly pages: number;
  readonly format: BookFormat;
  readonly categoryIds: readonly string[];
  readonly coverImageUrl?: string | undefined;
  readonly price: { readonly amount: number; readonly currency: string };
}

/** Who made a change and which flow it belongs to, for price history and events. */
export interface Actor {
  readonly customerId: string;
  readonly correlationId: string;
}

/** The filters of the REST product list. */
export interface ProductFilters {
  readonly categoryId?: string | undefined;
  readonly authorId?: string | undefined;
  readonly publisherId?: string | undefined;
  readonly format?: BookFormat | undefined;
  readonly isbn?: string | undefined;
  readonly status: ProductStatus;
}

/** Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters for the widest table. */
const INSERT_CHUNK = 500;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
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
 * The catalog's products: creation, descriptive edits, discontinuation and price changes (SCD2), each publishing
 * its event in the transaction of the change; and the reads the REST surface offers.
 */
export function createProducts(runtime: ContextRuntime<CatalogDatabase>) {
  const { db, clock, ids, outbox } = runtime;
  // Product reads are built and compiled once (a list once per combination of the filters it has, at most 64): the
  // query builder cost as much as SQLite's run of the read.
  const productById = compileQuery((param: Param<{ productId: string }>) =>
    selectProductValues(db).where("products.product_id", "=", param("productId")),
  );
  const listShapes = new Map<string, CompiledStatement<ListParams, { product_id: string; json: string }>>();
  const listOf = (present: readonly (typeof LIST_FILTERS)[number][]) => {
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

  async function loadProduct(trx: Kysely<CatalogDatabase>, productId: string): Promise<ProductRow> {
    const row = await selectProducts(trx).where("products.product_id", "=", productId).executeTakeFirst();
    if (!row) throw fail.notFound(`product ${productId}`);
    return row;
  }

  /** Resolve author ids to credits in the given order; any unknown id is a 422. */
  async function resolveAuthors(trx: Kysely<CatalogDatabase>, authorIds: readonly string[]): Promise<AuthorRef[]> {
    const rows = await trx
      .selectFrom("authors")
      .select(["author_id", "name"])
      .where("author_id", "in", [...authorIds])
      .execute();
    const names = new Map(rows.map((row) => [row.author_id, row.name]));
    const missing = authorIds.filter((id) => !names.has(id));
    if (missing.length > 0)
      throw fail.unprocessable(`No author ${missing.join(", ")}; create authors with POST /authors first.`);
    return authorIds.map((authorId) => ({ authorId, name: names.get(authorId)! }));
  }

  async function resolvePublisher(trx: Kysely<CatalogDatabase>, publisherId: string) {
    const row = await trx
      .selectFrom("publishers")
      .select(["publisher_id", "name"])
      .where("publisher_id", "=", publisherId)
      .executeTakeFirst();
    if (!row) throw fail.unprocessable(`No publisher ${publisherId}; create it with POST /publishers first.`);
    return { publisherId: row.publisher_id, name: row.name };
  }

  async function checkCategories(trx: Kysely<CatalogDatabase>, categoryIds: readonly string[]): Promise<void> {
    const rows = await trx
      .selectFrom("categories")
      .select("category_id")
      .where("category_id", "in", [...categoryIds])
      .execute();
    const found = new Set(rows.map((row) => row.category_id));
    const missing = categoryIds.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw fail.unprocessable(`No category ${missing.join(", ")}; create it with POST /categories first.`);
  }

  /**
   * Insert products with their links and opening price entries (reason STANDARD), using one multi-row INSERT per
   * table and chunk, and publish product.created for each, all in the caller's transaction. Answers the new ids.
   */
  async function insertProducts(
    trx: Transaction<CatalogDatabase>,
    products: readonly NewProduct[],
    actor: Actor,
  ): Promise<string[]> {
    const now = clock.now().toISOString();
    const rows: ProductTable[] = products.map((product) => ({
      product_id: ids.next("prd"),
      isbn: product.isbn,
      title: product.title,
      subtitle: product.subtitle ?? null,
      description: product.description,
      authors: JSON.stringify(product.authors),
      publisher_id: product.publisher.publisherId,
      publisher_name: product.publisher.name,
      publication_date: product.publicationDate,
      language: product.language,
      pages: product.pages,
      format: product.format,
      category_ids: JSON.stringify(product.categoryIds),
      cover_image_url: product.coverImageUrl ?? null,
      price_amount: product.price.amount,
      price_currency: product.price.currency,
      status: "ACTIVE",
      created_at: now,
      updated_at: now,
      discontinued_at: null,
      discontinue_reason: null,
      discontinue_note: null,
    }));
    for (const chunk of chunks(rows, INSERT_CHUNK)) await trx.insertInto("products").values(chunk).execute();
    const authorLinks = rows.flatMap((row, index) =>
      products[index]!.authors.map((author, position) => ({
        product_id: row.product_id,
        author_id: author.authorId,
        position,
      })),
    );
    for (const chunk of chunks(authorLinks, INSERT_CHUNK))
      await trx.insertInto("product_authors").values(chunk).execute();
    const categoryLinks = rows.flatMap((row, index) =>
      products[index]!.categoryIds.map((categoryId) => ({ product_id: row.product_id, category_id: categoryId })),
    );
    for (const chunk of chunks(categoryLinks, INSERT_CHUNK))
      await trx.insertInto("product_categories").values(chunk).execute();
    const prices = rows.map((row) => ({
      product_id: row.product_id,
      amount: row.price_amount,
      currency: row.price_currency,
      reason: "STANDARD" as const,
      effective_from: now,
      effective_until: null,
      changed_by: actor.customerId,
    }));
    for (const chunk of chunks(prices, INSERT_CHUNK)) await trx.insertInto("price_history").values(chunk).execute();
    for (const row of rows) {
      await outbox.publish(
        trx,
        "ecommerce.catalog.product.created.v1",
        { product: toProductSnapshot(row) },
        {
          partitionKey: row.product_id,
          correlationId: actor.correlationId,
        },
      );
    }
    return rows.map((row) => row.product_id);
  }

  return {
    insertProducts,

    /** One product, DISCONTINUED ones too. */
    async get(productId: string): Promise<ProductView> {
      const row = await productById.executeTakeFirst(db, { productId });
      if (!row) throw fail.notFound(`product ${productId}`);
      return parseProduct(row);
    },

    /** One page of products matching every filter, newest first (descending id, which is creation order). */
    async list(filters: ProductFilters, page: { readonly cursor?: string | undefined; readonly limit: number }) {
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

    /** Add a product (ACTIVE, with its first price entry) and publish product.created. */
    create(request: Schemas["CreateProductRequest"], actor: Actor): Promise<ProductView> {
      return db.transaction().execute(async (trx) => {
        const taken = await trx
          .selectFrom("products")
          .select("product_id")
          .where("isbn", "=", request.isbn)
          .executeTakeFirst();
        if (taken) throw fail.conflict(`ISBN ${request.isbn} already belongs to product ${taken.product_id}.`);
        const authors = await resolveAuthors(trx, request.authorIds);
        const publisher = await resolvePublisher(trx, request.publisherId);
        await checkCategories(trx, request.categoryIds);
        const [productId] = await insertProducts(trx, [{ ...request, authors, publisher }], actor);
        return toProductView(await loadProduct(trx, productId!));
      });
    },

    /** Merge-patch descriptive fields and publish product.updated naming them; a patch that changes nothing publishes nothing. */
    update(productId: string, patch: ProductPatch, actor: Actor): Promise<ProductView> {
      return db.transaction().execute(async (trx) => {
        const row = await loadProduct(trx, productId);
        if (row.status === "DISCONTINUED")
          throw fail.conflict(`Product ${productId} is DISCONTINUED and can no longer be changed.`);
        const currentAuthors = JSON.parse(row.authors) as AuthorRef[];
        const current: DescriptiveFields = {
          title: row.title,
          subtitle: row.subtitle,
          description: row.description,
          authorIds: currentAuthors.map((author) => author.authorId),
          publisherId: row.publisher_id,
          publicationDate: row.publication_date,
          language: row.language,
          pages: row.pages,
          categoryIds: JSON.parse(row.category_ids) as string[],
          coverImageUrl: row.cover_image_url,
        };
        const { next, changedFields } = applyProductPatch(current, patch);
        if (changedFields.length === 0) return toProductView(row);
        const authors = changedFields.includes("authors") ? await resolveAuthors(trx, next.authorIds) : currentAuthors;
        const publisher = changedFields.includes("publisher")
          ? await resolvePublisher(trx, next.publisherId)
          : { publisherId: row.publisher_id, name: row.publisher_name };
        if (changedFields.includes("categoryIds")) await checkCategories(trx, next.categoryIds);
        const changes = {
          title: next.title,
          subtitle: next.subtitle,
          description: next.description,
          authors: JSON.stringify(authors),
          publisher_id: publisher.publisherId,
          publisher_name: publisher.name,
          publication_date: next.publicationDate,
          language: next.language,
          pages: next.pages,
          category_ids: JSON.stringify(next.categoryIds),
          cover_image_url: next.coverImageUrl,
          updated_at: clock.now().toISOString(),
        };
        await trx.updateTable("products").set(changes).where("product_id", "=", productId).execute();
        if (changedFields.includes("authors")) {
          await trx.deleteFrom("product_authors").where("product_id", "=", productId).execute();
          await trx
            .insertInto("product_authors")
            .values(
              authors.map((author, position) => ({ product_id: productId, author_id: author.authorId, position })),
            )
            .execute();
        }
        if (changedFields.includes("categoryIds")) {
          await trx.deleteFrom("product_categories").where("product_id", "=", productId).execute();
          await trx
            .insertInto("product_categories")
            .values(next.categoryIds.map((categoryId) => ({ product_id: productId, category_id: categoryId })))
            .execute();
        }
        const updated = { ...row, ...changes };
        await outbox.publish(
          trx,
          "ecommerce.catalog.product.updated.v1",
          { productId, changedFields, product: toProductSnapshot(updated) },
          { partitionKey: productId, correlationId: actor.correlationId },
        );
        return toProductView(updated);
      });
    },

    /** Stop selling a product for good and publish product.discontinued; it stays readable by id. */
    discontinue(productId: string, request: Schemas["DiscontinueProductRequest"], actor: Actor): Promise<ProductView> {
      return db.transaction().execute(async (trx) => {
        const row = await loadProduct(trx, productId);
        if (row.status === "DISCONTINUED") throw fail.conflict(`Product ${productId} is already DISCONTINUED.`);
        const now = clock.now().toISOString();
        const changes = {
          status: "DISCONTINUED" as const,
          discontinued_at: now,
          discontinue_reason: request.reason,
          discontinue_note: request.note ?? null,
          updated_at: now,
        };
        await trx.updateTable("products").set(changes).where("product_id", "=", productId).execute();
        await outbox.publish(
          trx,
          "ecommerce.catalog.product.discontinued.v1",
          { productId, isbn: row.isbn, reason: request.reason, discontinuedAt: now },
          { partitionKey: productId, correlationId: actor.correlationId },
        );
        return toProductView({ ...row, ...changes });
      });
    },

    /**
     * Set a product's price: close the open price entry at `now` and open the next one from `now` (SCD2), then
     * publish product.price_changed with the old and new price. The price it already has changes nothing.
     */
    changePrice(
      productId: string,
      request: Schemas["ChangePriceRequest"],
      actor: Actor,
    ): Promise<Schemas["PriceHistoryEntry"]> {
      return db.transaction().execute(async (trx) => {
        const row = await loadProduct(trx, productId);
        const plan = planPriceChange(
          { status: row.status, price: { amount: row.price_amount, currency: row.price_currency } },
          request.price,
        );
        if (plan.kind === "refused") throw plan.error;
        if (plan.kind === "unchanged") {
          const open = await trx
            .selectFrom("price_history")
            .selectAll()
            .where("product_id", "=", productId)
            .where("effective_until", "is", null)
            .executeTakeFirstOrThrow();
          return toPriceHistoryEntry(open);
        }
        const now = clock.now().toISOString();
        await trx
          .updateTable("price_history")
          .set({ effective_until: now })
          .where("product_id", "=", productId)
          .where("effective_until", "is", null)
          .execute();
        const entry = {
          product_id: productId,
          amount: plan.next.amount,
          currency: plan.next.currency,
          reason: request.reason as PriceChangeReason,
          effective_from: now,
          effective_until: null,
          changed_by: actor.customerId,
        };
        const { seq } = await trx.insertInto("price_history").values(entry).returning("seq").executeTakeFirstOrThrow();
        await trx
          .updateTable("products")
          .set({ price_amount: plan.next.amount, price_currency: plan.next.currency, updated_at: now })
          .where("product_id", "=", productId)
          .execute();
        await outbox.publish(
          trx,
          "ecommerce.catalog.product.price_changed.v1",
          {
            productId,
            isbn: row.isbn,
            previousPrice: plan.previous,
            price: plan.next,
            reason: request.reason,
            effectiveFrom: now,
            changedBy: actor.customerId,
          },
          { partitionKey: productId, correlationId: actor.correlationId },
        );
        return toPriceHistoryEntry({ ...entry, seq });
      });
    },

    /** One page of a product's price entries, newest first. */
    async priceHistory(productId: string, page: { readonly cursor?: string | undefined; readonly limit: number }) {
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

/** The product operations of the catalog context. */
export type Products = ReturnType<typeof createProducts>;
