import type { searchApi } from "@ecom/sdk";
import { type Kysely, sql } from "kysely";
import type { SearchDatabase } from "./store.js";

/** The contract's ProductSummary. */
export type ProductSummary = searchApi.components["schemas"]["ProductSummary"];

/** The columns a summary is made from (a document joined with its stock and rating). */
export interface SummaryRow {
  readonly product_id: string;
  readonly isbn: string;
  readonly title: string;
  readonly subtitle: string | null;
  readonly author_names: string;
  readonly format: SearchDatabase["search_documents"]["format"];
  readonly price_amount: number;
  readonly price_currency: string;
  readonly cover_image_url: string | null;
  readonly rating_average: number | null;
  readonly rating_count: number | null;
  readonly available: number | null;
}

/** SQL selecting {@link SummaryRow}'s columns from `d` (documents), `r` (ratings) and `s` (stock). */
export const SUMMARY_COLUMNS = sql`d.product_id, d.isbn, d.title, d.subtitle, d.author_names, d.format,
  d.price_amount, d.price_currency, d.cover_image_url, r.average as rating_average, r.count as rating_count,
  s.on_hand - s.reserved as available`;

/** The joins {@link SUMMARY_COLUMNS} needs after `search_documents d`. */
export const SUMMARY_JOINS = sql`left join search_ratings r on r.product_id = d.product_id
  left join search_stock s on s.product_id = d.product_id`;

/** A row as the contract's ProductSummary. */
export function toSummary(row: SummaryRow): ProductSummary {
  return {
    productId: row.product_id,
    isbn: row.isbn,
    title: row.title,
    ...(row.subtitle === null ? {} : { subtitle: row.subtitle }),
    authors: JSON.parse(row.author_names) as string[],
    format: row.format,
    price: { amount: row.price_amount, currency: row.price_currency },
    ...(row.cover_image_url === null ? {} : { coverImageUrl: row.cover_image_url }),
    rating: {
      ...(row.rating_average === null ? {} : { average: row.rating_average }),
      count: row.rating_count ?? 0,
    },
    inStock: (row.available ?? 0) > 0,
  };
}

/** Summaries of active documents by product id, in the order of `productIds` (unknown or discontinued ones left out). */
export async function summariesOf(
  db: Kysely<SearchDatabase>,
  productIds: readonly string[],
): Promise<Map<string, ProductSummary>> {
  if (productIds.length === 0) return new Map();
  const { rows } = await sql<SummaryRow>`select ${SUMMARY_COLUMNS} from search_documents d ${SUMMARY_JOINS}
    where d.status = 'ACTIVE' and d.product_id in (${sql.join(productIds)})`.execute(db);
  return new Map(rows.map((row) => [row.product_id, toSummary(row)]));
}
