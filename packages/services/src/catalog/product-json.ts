import { type Kysely, type RawBuilder, sql } from "kysely";
import { dialectOf, type SqlDialect } from "../platform/index.js";
import type { AuthorRef, ProductView } from "./product-views.js";
import type { BookFormat, ProductStatus } from "./store.js";

/**
 * A product as one JSON array of its values, written by the store itself, for the reads that answer many products
 * (the REST list) or are asked most (one product); {@link readProductValues} makes the contract's Product of it.
 * better-sqlite3 makes a JS string or number of each of a row's two dozen columns, which cost more than the query;
 * one text per row, parsed by V8, costs a fraction of that. An array rather than the Product's own JSON: one SQL
 * function call per row, where writing the object took one per member (json_quote, iif, concat) and cost SQLite
 * twice the time. It must read exactly as toProductView maps a row, members in the same order (the write paths still
 * answer through it, and the gateway sends what these make byte for byte): catalog-sql.test.ts compares the two.
 */

/** The values, in the order {@link readProductValues} reads them; JSON columns are written as JSON, not as text. */
const VALUES = [
  "products.product_id",
  "products.isbn",
  "products.title",
  "products.subtitle",
  "products.description",
  { json: "products.authors" },
  "products.publisher_id",
  "products.publisher_name",
  "products.publication_date",
  "products.language",
  "products.pages",
  "products.format",
  { json: "products.category_ids" },
  "products.cover_image_url",
  "products.price_amount",
  "products.price_currency",
  "products.status",
  "products.created_at",
  "products.updated_at",
  "coalesce(product_ratings.count, 0)",
  "product_ratings.average",
  "products.discontinued_at",
] as const;

/** A JSON array of the values: SQLite's json_array (json() embeds a column's JSON text), PostgreSQL's as text. */
function valuesArray(dialect: SqlDialect): string {
  const values = VALUES.map((value) =>
    typeof value === "string" ? value : dialect === "postgres" ? `(${value.json})::json` : `json(${value.json})`,
  );
  return dialect === "postgres" ? `json_build_array(${values.join(", ")})::text` : `json_array(${values.join(", ")})`;
}

const PRODUCT_VALUES: Readonly<Record<SqlDialect, RawBuilder<string>>> = {
  sqlite: sql.raw<string>(valuesArray("sqlite")),
  postgres: sql.raw<string>(valuesArray("postgres")),
};

/**
 * The product's values as JSON array text, as a select expression over `products` left-joined to `product_ratings`
 * (as selectProducts joins them) in the store of `db`; read it with {@link readProductValues}.
 */
// biome-ignore lint/suspicious/noExplicitAny: only the store's dialect matters here.
export function productValues(db: Kysely<any>): RawBuilder<string> {
  return PRODUCT_VALUES[dialectOf(db)];
}

/** The parsed array of {@link productValues}, one type per position. */
type Values = [
  productId: string,
  isbn: string,
  title: string,
  subtitle: string | null,
  description: string,
  authors: AuthorRef[],
  publisherId: string,
  publisherName: string,
  publicationDate: string,
  language: string,
  pages: number,
  format: BookFormat,
  categoryIds: string[],
  coverImageUrl: string | null,
  priceAmount: number,
  priceCurrency: string,
  status: ProductStatus,
  createdAt: string,
  updatedAt: string,
  ratingCount: number,
  ratingAverage: number | null,
  discontinuedAt: string | null,
];

/** The contract's Product from {@link productValues}' text: toProductView's members, in its order. */
export function readProductValues(text: string): ProductView {
  const values = JSON.parse(text) as Values;
  // Built member by member, each optional one set only when present: spreads of `{}` or `{ subtitle }` (as
  // toProductView writes it) made reading a 20-item page half as dear again. Hence the cast: the compiler cannot
  // follow an object built in steps, and only those spreads or one literal per combination of the optional members
  // could put subtitle and coverImageUrl in their places. Each assignment is still type-checked; that none is
  // missed, catalog-sql.test.ts checks by comparing every product with toProductView's.
  const product = { productId: values[0], isbn: values[1], title: values[2] } as ProductView;
  if (values[3] !== null) product.subtitle = values[3];
  product.description = values[4];
  product.authors = values[5];
  product.publisher = { publisherId: values[6], name: values[7] };
  product.publicationDate = values[8];
  product.language = values[9];
  product.pages = values[10];
  product.format = values[11];
  product.categoryIds = values[12];
  if (values[13] !== null) product.coverImageUrl = values[13];
  product.price = { amount: values[14], currency: values[15] };
  product.status = values[16];
  product.createdAt = values[17];
  product.updatedAt = values[18];
  product.rating = values[20] === null ? { count: values[19] } : { count: values[19], average: values[20] };
  if (values[21] !== null) product.discontinuedAt = values[21];
  return product;
}
