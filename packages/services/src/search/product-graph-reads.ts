import type { graphql } from "@ecom/sdk";
import type { Kysely, Selectable } from "kysely";
import type {
  SearchDatabase,
  SearchDocumentAuthorTable,
  SearchDocumentTable,
  SearchInventorySnapshotTable,
} from "./store.js";

/** A product document as the store holds it. */
export type ProductRow = Selectable<SearchDocumentTable>;
/** One author credit of a document. */
export type AuthorRow = Selectable<SearchDocumentAuthorTable>;
/** One product's inventory snapshot. */
export type SnapshotRow = Selectable<SearchInventorySnapshotTable>;

/** What one page of `products` asks for, after the resolver checked its bounds. */
export interface ProductPageQuery {
  readonly filter: graphql.search.ProductFilter | null | undefined;
  readonly first: number;
  readonly after: string | null | undefined;
}

/**
 * Every store read the GraphQL resolvers make, each one query whatever the number of ids, so a request's cost in
 * reads depends on its shape and not on how many products it returns (tests count calls through this port).
 */
export interface ProductGraphReads {
  documents(productIds: readonly string[]): Promise<ProductRow[]>;
  authors(productIds: readonly string[]): Promise<AuthorRow[]>;
  snapshots(productIds: readonly string[]): Promise<SnapshotRow[]>;
  page(query: ProductPageQuery): Promise<ProductRow[]>;
}

/** The reads over the search context's own store: its documents and its inventory snapshot, nothing else. */
export function createProductGraphReads(db: Kysely<SearchDatabase>): ProductGraphReads {
  return {
    async documents(productIds) {
      if (productIds.length === 0) return [];
      return db.selectFrom("search_documents").selectAll().where("product_id", "in", productIds).execute();
    },
    async authors(productIds) {
      if (productIds.length === 0) return [];
      return db
        .selectFrom("search_document_authors")
        .selectAll()
        .where("product_id", "in", productIds)
        .orderBy("product_id")
        .orderBy("position")
        .execute();
    },
    async snapshots(productIds) {
      if (productIds.length === 0) return [];
      return db.selectFrom("search_inventory_snapshots").selectAll().where("product_id", "in", productIds).execute();
    },
    async page({ filter, first, after }) {
      // `ids: []` asks for none of them.
      if (filter?.ids?.length === 0) return [];
      let query = db.selectFrom("search_documents").selectAll().orderBy("product_id").limit(first);
      if (after) query = query.where("product_id", ">", after);
      if (filter?.ids) query = query.where("product_id", "in", filter.ids);
      if (filter?.format) query = query.where("format", "=", filter.format);
      if (filter?.status) query = query.where("status", "=", filter.status);
      const categoryId = filter?.categoryId;
      if (categoryId) {
        query = query.where("product_id", "in", (eb) =>
          eb.selectFrom("search_document_categories").select("product_id").where("category_id", "=", categoryId),
        );
      }
      return query.execute();
    },
  };
}
