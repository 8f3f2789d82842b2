import { type Kysely, type RawBuilder, sql } from "kysely";
import { dialectOf, jsonQuoteText, type SqlDialect } from "../platform/index.js";

/**
 * A product as the contract's Product, written as JSON text by SQLite itself, for the reads that answer many
 * products (the REST list) or are asked most (one product). better-sqlite3 makes a JS string or number of each of
 * a row's two dozen columns, which cost more than the query; one JSON text per row, parsed by V8, costs about half
 * of that with the mapping of {@link toProductView} included. It must read exactly as toProductView maps a row (the
 * write paths still answer through it): catalog.test.ts compares the two. PostgreSQL writes the same text with
 * to_json and CASE (platform/dialect.ts).
 */

/** How a member's value is written: a SQL value quoted as JSON, a column already holding JSON text, an object. */
type Value = { readonly quote: string } | { readonly json: string } | { readonly object: readonly Member[] };

/** One member of the object: always there, or left out when its column is null (the contract has no nulls). */
type Member = readonly [key: string, value: Value, omitWhenNull?: string];

const quote = (expression: string): Value => ({ quote: expression });
const object = (members: readonly Member[]): Value => ({ object: members });

const PRODUCT: readonly Member[] = [
  ["productId", quote("products.product_id")],
  ["isbn", quote("products.isbn")],
  ["title", quote("products.title")],
  ["subtitle", quote("products.subtitle"), "products.subtitle"],
  ["description", quote("products.description")],
  ["authors", { json: "products.authors" }],
  [
    "publisher",
    object([
      ["publisherId", quote("products.publisher_id")],
      ["name", quote("products.publisher_name")],
    ]),
  ],
  ["publicationDate", quote("products.publication_date")],
  ["language", quote("products.language")],
  ["pages", quote("products.pages")],
  ["format", quote("products.format")],
  ["categoryIds", { json: "products.category_ids" }],
  ["coverImageUrl", quote("products.cover_image_url"), "products.cover_image_url"],
  [
    "price",
    object([
      ["amount", quote("products.price_amount")],
      ["currency", quote("products.price_currency")],
    ]),
  ],
  ["status", quote("products.status")],
  ["createdAt", quote("products.created_at")],
  ["updatedAt", quote("products.updated_at")],
  [
    "rating",
    object([
      ["count", quote("coalesce(product_ratings.count, 0)")],
      // json_quote (to_json on PostgreSQL) writes a double with the digits that read back as the same double.
      ["average", quote("product_ratings.average"), "product_ratings.average"],
    ]),
  ],
  ["discontinuedAt", quote("products.discontinued_at"), "products.discontinued_at"],
];

/**
 * The arguments of one SQL concat() that writes `members` as a JSON object (one call, so SQLite copies each piece
 * once, where `||` copied the growing text at each step). The first member must not be optional: it has no comma.
 */
function objectParts(dialect: SqlDialect, members: readonly Member[]): string[] {
  const parts = members.map(([key, value, omitWhenNull], index) => {
    const text =
      "object" in value
        ? objectParts(dialect, value.object)
        : ["json" in value ? value.json : jsonQuoteText(dialect, value.quote)];
    const member = [`'${index === 0 ? "{" : ","}"${key}":'`, ...text];
    if (!omitWhenNull) return member;
    // PostgreSQL has no iif; SQLite's is a CASE, kept as it was.
    return dialect === "postgres"
      ? [`case when ${omitWhenNull} is null then '' else concat(${member.join(", ")}) end`]
      : [`iif(${omitWhenNull} is null, '', concat(${member.join(", ")}))`];
  });
  return [...parts.flat(), "'}'"];
}

const PRODUCT_JSON: Readonly<Record<SqlDialect, RawBuilder<string>>> = {
  sqlite: sql.raw<string>(`concat(${objectParts("sqlite", PRODUCT).join(", ")})`),
  postgres: sql.raw<string>(`concat(${objectParts("postgres", PRODUCT).join(", ")})`),
};

/**
 * The Product's JSON text, as a select expression over `products` left-joined to `product_ratings` (as
 * selectProducts joins them) in the store of `db`; parse it with JSON.parse.
 */
// biome-ignore lint/suspicious/noExplicitAny: only the store's dialect matters here.
export function productJson(db: Kysely<any>): RawBuilder<string> {
  return PRODUCT_JSON[dialectOf(db)];
}
