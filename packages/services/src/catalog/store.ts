import type { Generated } from "kysely";

/**
 * The catalog context's own store. A product row carries its authors' and publisher's names and its category ids
 * denormalised (names as printed are facts of the edition and never change here), so a page of products is one
 * query; the link tables exist for the list filters. Money is integer minor units; timestamps ISO text.
 */
export interface CatalogDatabase {
  products: ProductTable;
  product_authors: ProductAuthorTable;
  product_categories: ProductCategoryTable;
  price_history: PriceHistoryTable;
  categories: CategoryTable;
  authors: AuthorTable;
  publishers: PublisherTable;
  product_ratings: ProductRatingTable;
}

/** One of the contract's BookFormat values. */
export type BookFormat = "hardcover" | "paperback" | "ebook" | "audiobook";
/** A product's lifecycle state. */
export type ProductStatus = "ACTIVE" | "DISCONTINUED";
/** Why a price was set. */
export type PriceChangeReason = "STANDARD" | "PROMOTION" | "SEASONAL" | "CORRECTION";

/** A book for sale: one edition in one format. */
export interface ProductTable {
  product_id: string;
  isbn: string;
  title: string;
  subtitle: string | null;
  description: string;
  /** JSON `[{ authorId, name }]` in credit order. */
  authors: string;
  publisher_id: string;
  publisher_name: string;
  publication_date: string;
  language: string;
  pages: number;
  format: BookFormat;
  /** JSON `["cat_…"]`. */
  category_ids: string;
  cover_image_url: string | null;
  /** The current price: the open price-history entry, copied here so reads need no join. */
  price_amount: number;
  price_currency: string;
  status: ProductStatus;
  created_at: string;
  updated_at: string;
  discontinued_at: string | null;
  discontinue_reason: string | null;
  discontinue_note: string | null;
}

/** Who is credited on a product, for the `authorId` filter. */
export interface ProductAuthorTable {
  product_id: string;
  author_id: string;
  position: number;
}

/** Which categories a product is filed under, for the `categoryId` filter. */
export interface ProductCategoryTable {
  product_id: string;
  category_id: string;
}

/** SCD2 price history: one row per price; the open row (no `effective_until`) is the current price. */
export interface PriceHistoryTable {
  seq: Generated<number>;
  product_id: string;
  amount: number;
  currency: string;
  reason: PriceChangeReason;
  effective_from: string;
  effective_until: string | null;
  changed_by: string;
}

/** A node of the category tree. */
export interface CategoryTable {
  category_id: string;
  name: string;
  slug: string;
  parent_id: string | null;
  description: string | null;
  display_order: number;
  created_at: string;
  updated_at: string;
}

/** A person credited on books. */
export interface AuthorTable {
  author_id: string;
  name: string;
  bio: string | null;
  birth_date: string | null;
  nationality: string | null;
  website: string | null;
  created_at: string;
  updated_at: string;
}

/** A publishing house; names are unique. */
export interface PublisherTable {
  publisher_id: string;
  name: string;
  country: string | null;
  website: string | null;
  created_at: string;
  updated_at: string;
}

/** The rating projection, from the review context's rating.updated events. */
export interface ProductRatingTable {
  product_id: string;
  average: number | null;
  count: number;
  updated_at: string;
}
