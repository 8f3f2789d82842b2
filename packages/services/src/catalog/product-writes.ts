import type { catalogApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, fail } from "../platform/index.js";
import { applyProductPatch, type DescriptiveFields, type ProductPatch } from "./product-patch.js";
import { loadProduct } from "./product-reads.js";
import { checkCategories, resolveAuthors, resolvePublisher } from "./product-references.js";
import {
  type AuthorRef,
  type ProductRow,
  type ProductView,
  toProductSnapshot,
  toProductView,
} from "./product-views.js";
import type { BookFormat, CatalogDatabase, ProductTable } from "./store.js";

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

/** Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters for the widest table. */
const INSERT_CHUNK = 500;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/** A new product's row, ACTIVE from `now`. */
function productRowOf(productId: string, product: NewProduct, now: string): ProductTable {
  return {
    product_id: productId,
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
  };
}

/**
 * The catalog's product changes: creation (one or many), descriptive edits and discontinuation, each publishing its
 * event in the transaction of the change.
 */
export class ProductWrites {
  readonly #runtime: ContextRuntime<CatalogDatabase>;

  constructor(runtime: ContextRuntime<CatalogDatabase>) {
    this.#runtime = runtime;
  }

  /**
   * Insert products with their links and opening price entries (reason STANDARD), using one multi-row INSERT per
   * table and chunk, and publish product.created for each, all in the caller's transaction. Answers the new ids.
   */
  async insertProducts(
    trx: Transaction<CatalogDatabase>,
    products: readonly NewProduct[],
    actor: Actor,
  ): Promise<string[]> {
    const { clock, ids, outbox } = this.#runtime;
    const now = clock.now().toISOString();
    const rows = products.map((product) => productRowOf(ids.next("prd"), product, now));
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
        { partitionKey: row.product_id, correlationId: actor.correlationId },
      );
    }
    return rows.map((row) => row.product_id);
  }

  /** Add a product (ACTIVE, with its first price entry) and publish product.created. */
  create(request: Schemas["CreateProductRequest"], actor: Actor): Promise<ProductView> {
    return this.#runtime.db.transaction().execute(async (trx) => {
      const taken = await trx
        .selectFrom("products")
        .select("product_id")
        .where("isbn", "=", request.isbn)
        .executeTakeFirst();
      if (taken) throw fail.conflict(`ISBN ${request.isbn} already belongs to product ${taken.product_id}.`);
      const authors = await resolveAuthors(trx, request.authorIds);
      const publisher = await resolvePublisher(trx, request.publisherId);
      await checkCategories(trx, request.categoryIds);
      const [productId] = await this.insertProducts(trx, [{ ...request, authors, publisher }], actor);
      return toProductView(await loadProduct(trx, productId!));
    });
  }

  /** Merge-patch descriptive fields and publish product.updated naming them; a patch that changes nothing publishes nothing. */
  update(productId: string, patch: ProductPatch, actor: Actor): Promise<ProductView> {
    const { db, clock, outbox } = this.#runtime;
    return db.transaction().execute(async (trx) => {
      const row = await loadProduct(trx, productId);
      if (row.status === "DISCONTINUED")
        throw fail.conflict(`Product ${productId} is DISCONTINUED and can no longer be changed.`);
      const currentAuthors = JSON.parse(row.authors) as AuthorRef[];
      const { next, changedFields } = applyProductPatch(descriptiveFieldsOf(row, currentAuthors), patch);
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
      if (changedFields.includes("authors")) await relinkAuthors(trx, productId, authors);
      if (changedFields.includes("categoryIds")) await relinkCategories(trx, productId, next.categoryIds);
      const updated = { ...row, ...changes };
      await outbox.publish(
        trx,
        "ecommerce.catalog.product.updated.v1",
        { productId, changedFields, product: toProductSnapshot(updated) },
        { partitionKey: productId, correlationId: actor.correlationId },
      );
      return toProductView(updated);
    });
  }

  /** Stop selling a product for good and publish product.discontinued; it stays readable by id. */
  discontinue(productId: string, request: Schemas["DiscontinueProductRequest"], actor: Actor): Promise<ProductView> {
    const { db, clock, outbox } = this.#runtime;
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
  }
}

/** A stored product's descriptive fields, as a patch applies to them. */
function descriptiveFieldsOf(row: ProductRow, authors: readonly AuthorRef[]): DescriptiveFields {
  return {
    title: row.title,
    subtitle: row.subtitle,
    description: row.description,
    authorIds: authors.map((author) => author.authorId),
    publisherId: row.publisher_id,
    publicationDate: row.publication_date,
    language: row.language,
    pages: row.pages,
    categoryIds: JSON.parse(row.category_ids) as string[],
    coverImageUrl: row.cover_image_url,
  };
}

/** Replace a product's author links with `authors`, in their order. */
async function relinkAuthors(trx: Transaction<CatalogDatabase>, productId: string, authors: readonly AuthorRef[]) {
  await trx.deleteFrom("product_authors").where("product_id", "=", productId).execute();
  await trx
    .insertInto("product_authors")
    .values(authors.map((author, position) => ({ product_id: productId, author_id: author.authorId, position })))
    .execute();
}

/** Replace a product's category links with `categoryIds`. */
async function relinkCategories(trx: Transaction<CatalogDatabase>, productId: string, categoryIds: readonly string[]) {
  await trx.deleteFrom("product_categories").where("product_id", "=", productId).execute();
  await trx
    .insertInto("product_categories")
    .values(categoryIds.map((categoryId) => ({ product_id: productId, category_id: categoryId })))
    .execute();
}
