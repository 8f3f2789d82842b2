import type { searchApi } from "@ecom/sdk";
import { type Kysely, type RawBuilder, sql } from "kysely";
import { decodeQueryCursor, encodeCursor, stringAgg } from "../platform/index.js";
import { type ProductSummary, summariesOf } from "./product-summary.js";
import type { SearchDatabase } from "./store.js";

type TrendingPage = searchApi.components["schemas"]["TrendingPage"];
type RecommendationPage = searchApi.components["schemas"]["RecommendationPage"];
type Recommendation = searchApi.components["schemas"]["Recommendation"];
type Period = "24h" | "7d" | "30d";

const PERIOD_MS: Readonly<Record<Period, number>> = {
  "24h": 24 * 3_600_000,
  "7d": 7 * 24 * 3_600_000,
  "30d": 30 * 24 * 3_600_000,
};
/** The most candidates a recommendation list is ranked from. */
const MAX_CANDIDATES = 500;

interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

/** A ranked list's position: the rank of the last item given. */
type RankPosition = { readonly rank: number };
const isRankPosition = (value: Record<string, unknown>): value is RankPosition =>
  Number.isInteger(value.rank) && (value.rank as number) >= 0;

/** Only documents filed under `category` or one of its sub-categories (no condition without one). */
function inCategory(column: RawBuilder<unknown>, category: string | undefined): RawBuilder<unknown> {
  if (category === undefined) return sql`1 = 1`;
  return sql`exists (select 1 from search_document_categories dc where dc.product_id = ${column}
    and (dc.category_id = ${category} or dc.category_id in
      (select category_id from search_category_paths where ancestor_id = ${category})))`;
}

interface TrendingRow {
  product_id: string;
  units: number;
}

/** Active books by units ordered since `since`, ties to the one ordered last, then by id. */
async function trendingRows(
  db: Kysely<SearchDatabase>,
  since: string,
  category: string | undefined,
  limit: number,
): Promise<TrendingRow[]> {
  const { rows } = await sql<TrendingRow>`select l.product_id, sum(l.quantity) as units, max(l.ordered_at) as last_at
    from search_order_lines l join search_documents d on d.product_id = l.product_id and d.status = 'ACTIVE'
    where l.ordered_at >= ${since} and ${inCategory(sql.ref("l.product_id"), category)}
    group by l.product_id order by units desc, last_at desc, l.product_id limit ${limit}`.execute(db);
  return rows.map((row) => ({ product_id: row.product_id, units: Number(row.units) }));
}

/** `GET /recommendations/trending`: books by copies ordered in the trailing period, counted from order.created. */
export async function listTrending(
  db: Kysely<SearchDatabase>,
  request: { readonly period?: Period | undefined; readonly category?: string | undefined; readonly now: Date },
  page: PageRequest,
): Promise<TrendingPage> {
  const period = request.period ?? "7d";
  const filters = { period, category: request.category };
  const position = decodeQueryCursor(page.cursor, filters, isRankPosition);
  const start = position?.rank ?? 0;
  const since = new Date(request.now.getTime() - PERIOD_MS[period]).toISOString();
  const rows = (await trendingRows(db, since, request.category, start + page.limit + 1)).slice(start);
  const shown = rows.slice(0, page.limit);
  const summaries = await summariesOf(
    db,
    shown.map((row) => row.product_id),
  );
  return {
    items: shown.flatMap((row, index) => {
      const product = summaries.get(row.product_id);
      return product ? [{ rank: start + index + 1, unitsOrdered: row.units, product }] : [];
    }),
    page: {
      limit: page.limit,
      ...(rows.length > page.limit ? { nextCursor: encodeCursor({ rank: start + page.limit }, filters) } : {}),
    },
  };
}

interface Candidate {
  readonly productId: string;
  readonly score: number;
  readonly reason: Recommendation["reason"];
  readonly basedOn: readonly string[];
}

/**
 * `GET /recommendations`: for a caller with purchases (orders, or purchase and add-to-cart feedback), books bought in
 * the same orders as theirs, scored by how many orders paired them; then books in the categories of what they viewed
 * or clicked, by sales; a caller with no history gets the trending list. Books they bought are left out. Every tie is
 * broken by product id, so the same data gives the same list.
 */
export async function listRecommendations(
  db: Kysely<SearchDatabase>,
  request: { readonly customerId: string; readonly category?: string | undefined; readonly now: Date },
  page: PageRequest,
): Promise<RecommendationPage> {
  const filters = { category: request.category };
  const position = decodeQueryCursor(page.cursor, filters, isRankPosition);
  const start = position?.rank ?? 0;
  const candidates = await candidatesFor(db, request);
  const shown = candidates.slice(start, start + page.limit);
  const summaries = await summariesOf(
    db,
    shown.map((candidate) => candidate.productId),
  );
  return {
    items: shown.flatMap((candidate) => {
      const product: ProductSummary | undefined = summaries.get(candidate.productId);
      if (!product) return [];
      return [
        {
          product,
          score: candidate.score,
          reason: candidate.reason,
          ...(candidate.basedOn.length > 0 ? { basedOn: candidate.basedOn.slice(0, 10) } : {}),
        },
      ];
    }),
    page: {
      limit: page.limit,
      ...(candidates.length > start + page.limit
        ? { nextCursor: encodeCursor({ rank: start + page.limit }, filters) }
        : {}),
    },
  };
}

async function candidatesFor(
  db: Kysely<SearchDatabase>,
  request: { readonly customerId: string; readonly category?: string | undefined; readonly now: Date },
): Promise<Candidate[]> {
  const me = request.customerId;
  const bought = sql`select product_id from search_order_lines where customer_id = ${me}
    union select product_id from search_interactions where customer_id = ${me}
      and interaction in ('purchase', 'add_to_cart')`;
  const viewed = sql`select product_id from search_interactions where customer_id = ${me}
    and interaction in ('view', 'click')`;
  const together = await sql<{ product_id: string; strength: number; based_on: string }>`
    select o2.product_id, count(distinct o2.order_id) as strength, ${stringAgg(db, sql.ref("o1.product_id"))} as based_on
    from search_order_lines o1
    join search_order_lines o2 on o2.order_id = o1.order_id and o2.product_id <> o1.product_id
    join search_documents d on d.product_id = o2.product_id and d.status = 'ACTIVE'
    where o1.product_id in (${bought}) and o2.product_id not in (${bought})
      and ${inCategory(sql.ref("o2.product_id"), request.category)}
    group by o2.product_id order by strength desc, o2.product_id limit ${MAX_CANDIDATES}`.execute(db);
  const strongest = Math.max(1, ...together.rows.map((row) => Number(row.strength)));
  const candidates: Candidate[] = together.rows.map((row) => ({
    productId: row.product_id,
    score: round(Number(row.strength) / strongest),
    reason: "bought_together",
    basedOn: row.based_on.split(",").sort(),
  }));

  const similar = await sql<{ product_id: string; sales: number; based_on: string }>`
    with seen as (${viewed}),
    seen_categories as (select distinct dc.category_id, dc.product_id as via
      from search_document_categories dc where dc.product_id in (select product_id from seen))
    select dc.product_id, coalesce((select sum(quantity) from search_order_lines l where l.product_id = dc.product_id), 0)
      as sales, ${stringAgg(db, sql.ref("sc.via"))} as based_on
    from search_document_categories dc join seen_categories sc on sc.category_id = dc.category_id
    join search_documents d on d.product_id = dc.product_id and d.status = 'ACTIVE'
    where dc.product_id not in (${bought}) and dc.product_id not in (select product_id from seen)
      and ${inCategory(sql.ref("dc.product_id"), request.category)}
    group by dc.product_id order by sales desc, dc.product_id limit ${MAX_CANDIDATES}`.execute(db);
  const taken = new Set(candidates.map((candidate) => candidate.productId));
  const bestSeller = Math.max(1, ...similar.rows.map((row) => Number(row.sales)));
  for (const row of similar.rows) {
    if (taken.has(row.product_id)) continue;
    candidates.push({
      productId: row.product_id,
      // Below every bought-together score's range top: a similar book never outranks a co-purchase of equal weight.
      score: round(0.5 * ((Number(row.sales) + 1) / (bestSeller + 1))),
      reason: "similar_to_viewed",
      basedOn: row.based_on.split(",").sort(),
    });
  }
  if (candidates.length > 0) return candidates.slice(0, MAX_CANDIDATES);

  const history = await sql<{ any: number }>`select 1 as any from (${bought} union ${viewed}) as m limit 1`.execute(db);
  if (history.rows.length > 0) return [];
  const since = new Date(request.now.getTime() - PERIOD_MS["30d"]).toISOString();
  const trending = await trendingRows(db, since, request.category, MAX_CANDIDATES);
  const top = Math.max(1, ...trending.map((row) => row.units));
  return trending.map((row) => ({
    productId: row.product_id,
    score: round(row.units / top),
    reason: "trending",
    basedOn: [],
  }));
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
