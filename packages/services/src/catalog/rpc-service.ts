import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { catalogV1 } from "@ecom/sdk/rpc";
import type { Kysely } from "kysely";
import {
  type CompiledStatement,
  type ContextRuntime,
  compileQuery,
  decodeCursor,
  type Param,
  pageOf,
  ServiceError,
} from "../platform/index.js";
import type { CategoryTree } from "./category-tree.js";
import type { AuthorRef } from "./product-views.js";
import type { ReferenceData } from "./reference-data.js";
import type { BookFormat, CatalogDatabase, ProductStatus, ProductTable } from "./store.js";

const PRODUCT_ID = /^prd_[0-9A-HJKMNP-TV-Z]{26}$/;
const CATEGORY_ID = /^cat_[0-9A-HJKMNP-TV-Z]{26}$/;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const MAX_BATCH = 100;

const FORMAT: Readonly<Record<BookFormat, catalogV1.ProductFormat>> = {
  hardcover: catalogV1.ProductFormat.HARDCOVER,
  paperback: catalogV1.ProductFormat.PAPERBACK,
  ebook: catalogV1.ProductFormat.EBOOK,
  audiobook: catalogV1.ProductFormat.AUDIOBOOK,
};
const STATUS: Readonly<Record<ProductStatus, catalogV1.ProductStatus>> = {
  ACTIVE: catalogV1.ProductStatus.ACTIVE,
  DISCONTINUED: catalogV1.ProductStatus.DISCONTINUED,
};

/** The columns the proto Product is made of: half a product row, and no rating (the proto has none). */
const MESSAGE_COLUMNS = [
  "product_id",
  "isbn",
  "title",
  "authors",
  "publisher_id",
  "publisher_name",
  "format",
  "category_ids",
  "price_amount",
  "price_currency",
  "status",
  "updated_at",
] as const satisfies readonly (keyof ProductTable)[];

/** A product row as far as the proto Product needs it. */
type MessageRow = Pick<ProductTable, (typeof MESSAGE_COLUMNS)[number]>;

/** Products with the columns of the proto Product only: each column read costs (better-sqlite3 makes a value). */
const selectMessageRows = (db: Kysely<CatalogDatabase>) => db.selectFrom("products").select(MESSAGE_COLUMNS);

const contributor = (id: string, name: string): catalogV1.Contributor => ({
  $typeName: "ecom.catalog.v1.Contributor",
  id,
  name,
});

/**
 * A stored product as the proto Product, with the ancestors of its categories from the tree. Written as the message
 * itself (a proto3 message is a plain object with its `$typeName`, and the generated type checks every field), not
 * as an init that create() then walks field by field: BatchGetProducts answers three times a checkout, and the walk
 * cost as much as reading the row's JSON columns.
 */
export function toProductMessage(row: MessageRow, tree: CategoryTree): catalogV1.Product {
  const categoryIds = JSON.parse(row.category_ids) as string[];
  return {
    $typeName: "ecom.catalog.v1.Product",
    id: row.product_id,
    isbn: row.isbn,
    title: row.title,
    authors: (JSON.parse(row.authors) as AuthorRef[]).map((author) => contributor(author.authorId, author.name)),
    format: FORMAT[row.format],
    categoryIds,
    ancestorCategoryIds: tree.ancestorsOfAll(categoryIds),
    status: STATUS[row.status],
    publisher: contributor(row.publisher_id, row.publisher_name),
    price: { $typeName: "ecom.common.v1.Money", amountMinor: BigInt(row.price_amount), currency: row.price_currency },
    updatedAt: timestampFromMs(Date.parse(row.updated_at)),
  };
}

function checkProductId(productId: string, field: string): void {
  if (!PRODUCT_ID.test(productId)) {
    throw new ServiceError(
      "validation",
      `${field} must be a product id ("prd_" and a ULID), not ${JSON.stringify(productId)}`,
    );
  }
}

const isIdPosition = (value: Record<string, unknown>): value is { id: string } => typeof value.id === "string";

/**
 * CatalogService: product reads for the contexts that need catalog facts at the moment of a decision (pricing a
 * cart, snapshotting an order line). Read-only; writes go through the REST admin API and its events.
 */
export function registerCatalogService(
  router: ConnectRouter,
  runtime: ContextRuntime<CatalogDatabase>,
  reference: ReferenceData,
): void {
  const { db } = runtime;
  // Built and compiled once (the by-id read) or once per batch size (an `in` list's length changes its SQL; at most
  // MAX_BATCH shapes, and a cart asks for one or a few): the query builder cost more than SQLite's run of the read.
  const productById = compileQuery((param: Param<{ productId: string }>) =>
    selectMessageRows(db).where("product_id", "=", param("productId")),
  );
  const batchesBySize = new Map<number, CompiledStatement<Record<string, string>, MessageRow>>();
  const batchOf = (size: number) => {
    let statement = batchesBySize.get(size);
    if (!statement) {
      statement = compileQuery((param: Param<Record<string, string>>) =>
        selectMessageRows(db).where(
          "product_id",
          "in",
          Array.from({ length: size }, (_, index) => param(`id${index}`)),
        ),
      );
      batchesBySize.set(size, statement);
    }
    return statement;
  };
  router.service(catalogV1.CatalogService, {
    async getProduct(request) {
      checkProductId(request.productId, "product_id");
      const row = await productById.executeTakeFirst(db, { productId: request.productId });
      if (!row) throw new ServiceError("not_found", `no product ${request.productId}`);
      return create(catalogV1.GetProductResponseSchema, {
        product: toProductMessage(row, await reference.categoryTree()),
      });
    },

    async batchGetProducts(request) {
      if (request.productIds.length === 0 || request.productIds.length > MAX_BATCH) {
        throw new ServiceError(
          "validation",
          `product_ids must hold 1 to ${MAX_BATCH} ids, not ${request.productIds.length}`,
        );
      }
      for (const [index, productId] of request.productIds.entries()) checkProductId(productId, `product_ids[${index}]`);
      const wanted = [...new Set(request.productIds)];
      const rows = await batchOf(wanted.length).execute(
        db,
        Object.fromEntries(wanted.map((productId, index) => [`id${index}`, productId])),
      );
      const byId = new Map(rows.map((row) => [row.product_id, row]));
      const tree = await reference.categoryTree();
      return create(catalogV1.BatchGetProductsResponseSchema, {
        products: wanted.flatMap((productId) => {
          const row = byId.get(productId);
          return row ? [toProductMessage(row, tree)] : [];
        }),
        missingProductIds: wanted.filter((productId) => !byId.has(productId)),
      });
    },

    async listProducts(request) {
      const pageSize = request.page?.pageSize ?? 0;
      if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
        throw new ServiceError("validation", `page.page_size must be 0 to ${MAX_PAGE_SIZE}, not ${pageSize}`);
      }
      const limit = pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
      if (request.categoryId !== "" && !CATEGORY_ID.test(request.categoryId)) {
        throw new ServiceError("validation", `category_id must be a category id ("cat_" and a ULID) or empty`);
      }
      const filters = { categoryId: request.categoryId, includeDiscontinued: request.includeDiscontinued };
      const tree = await reference.categoryTree();
      let query = selectMessageRows(db);
      if (!request.includeDiscontinued) query = query.where("products.status", "=", "ACTIVE");
      if (request.categoryId !== "") {
        // This RPC's category filter includes subcategories (the REST list's does not).
        const subtree = tree.subtreeOf(request.categoryId);
        query = query.where("products.product_id", "in", (eb) =>
          eb.selectFrom("product_categories").select("product_id").where("category_id", "in", subtree),
        );
      }
      const token = request.page?.pageToken ?? "";
      if (token !== "") {
        const after = decodeCursor(token, filters, isIdPosition);
        if (!after) {
          throw new ServiceError(
            "validation",
            "page.page_token was not made by this call with these filters; start again without one",
          );
        }
        query = query.where("products.product_id", ">", after.id);
      }
      const rows = await query
        .orderBy("products.product_id", "asc")
        .limit(limit + 1)
        .execute();
      const { items, page } = pageOf(rows, { limit, filters, positionOf: (row) => ({ id: row.product_id }) });
      return create(catalogV1.ListProductsResponseSchema, {
        products: items.map((row) => toProductMessage(row, tree)),
        page: { nextPageToken: page.nextCursor ?? "" },
      });
    },
  });
}
