/**
 * The search context's own store. Everything but `search_interactions` is a read model built from other contexts'
 * events (catalog, inventory, review, order) by the projections in this folder, and `ecom replay` rebuilds it from the
 * log. Money is integer minor units; timestamps ISO text taken from the events, never from the clock.
 */
export interface SearchDatabase {
  search_documents: SearchDocumentTable;
  search_document_authors: SearchDocumentAuthorTable;
  search_document_categories: SearchDocumentCategoryTable;
  /** The full-text index (FTS5 on SQLite, a tsvector table on PostgreSQL: full-text.ts); its rowid is the `doc_id`. */
  search_fts: SearchFtsTable;
  search_stock: SearchStockTable;
  search_ratings: SearchRatingTable;
  search_categories: SearchCategoryTable;
  search_category_paths: SearchCategoryPathTable;
  search_order_lines: SearchOrderLineTable;
  search_interactions: SearchInteractionTable;
  search_inventory_snapshots: SearchInventorySnapshotTable;
}

/** One of the contract's BookFormat values. */
export type BookFormat = "hardcover" | "paperback" | "ebook" | "audiobook";

/** A product as search shows it, from product.created / updated / price_changed / discontinued. */
export interface SearchDocumentTable {
  /** The FTS rowid: assigned in log order on product.created, so a replay assigns the same one. */
  doc_id: number;
  product_id: string;
  isbn: string;
  title: string;
  subtitle: string | null;
  description: string;
  /** JSON `["name", …]` in credit order. */
  author_names: string;
  publisher_name: string;
  format: BookFormat;
  price_amount: number;
  price_currency: string;
  cover_image_url: string | null;
  status: "ACTIVE" | "DISCONTINUED";
  /** The product's createdAt, for `newest`. */
  created_at: string;
  /** occurredAt of the last event applied to the row. */
  updated_at: string;
}

/** Who is credited on a document, for the author filter and facet. */
export interface SearchDocumentAuthorTable {
  product_id: string;
  author_id: string;
  name: string;
  position: number;
}

/** Which categories a document is filed under (directly). */
export interface SearchDocumentCategoryTable {
  product_id: string;
  category_id: string;
}

/** The indexed text of a document. */
export interface SearchFtsTable {
  rowid: number;
  title: string;
  subtitle: string;
  authors: string;
  publisher: string;
  description: string;
  isbn: string;
}

/** Stock as the last inventory events told it. */
export interface SearchStockTable {
  product_id: string;
  on_hand: number;
  reserved: number;
  updated_at: string;
}

/** The rating as the review context last published it. */
export interface SearchRatingTable {
  product_id: string;
  average: number | null;
  count: number;
  updated_at: string;
}

/** A category of the catalog's tree, for facet labels. */
export interface SearchCategoryTable {
  category_id: string;
  name: string;
  parent_id: string | null;
}

/** `ancestor_id` is above `category_id` in the tree (self not included), for sub-category filters and roll-ups. */
export interface SearchCategoryPathTable {
  category_id: string;
  ancestor_id: string;
}

/** One line of a created order, for trending and "bought together". */
export interface SearchOrderLineTable {
  order_id: string;
  product_id: string;
  customer_id: string;
  quantity: number;
  ordered_at: string;
}

/** An interaction a customer reported (`POST /recommendations/feedback`): a fact search owns. */
export interface SearchInteractionTable {
  interaction_id: string;
  customer_id: string;
  product_id: string;
  interaction: "view" | "click" | "add_to_cart" | "purchase";
  source: string | null;
  search_query: string | null;
  occurred_at: string;
  recorded_at: string;
}

/**
 * Seed 004's inventory snapshot: a product's stock kept from every inventory stock event (unlike `search_stock`,
 * which follows adjustments and commits only), so `reserved` and `available` are current for GraphQL.
 */
export interface SearchInventorySnapshotTable {
  product_id: string;
  on_hand: number;
  reserved: number;
  /** occurredAt of the last event applied to the row. */
  updated_at: string;
}
