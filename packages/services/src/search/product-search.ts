import type { searchApi } from "@ecom/sdk";
import { type Kysely, type RawBuilder, sql } from "kysely";
import { type CursorPosition, decodeQueryCursor, encodeCursor } from "../platform/index.js";
import { markedFragments, matchQuery } from "./full-text.js";
import { SUMMARY_COLUMNS, SUMMARY_JOINS, type SummaryRow, toSummary } from "./product-summary.js";
import type { SearchDatabase } from "./store.js";
import { parseTextQuery, type TextQuery, toHighlight } from "./text-query.js";

type SearchResults = searchApi.components["schemas"]["SearchResults"];
type SearchQuery = NonNullable<searchApi.operations["searchProducts"]["parameters"]["query"]>;
type Sort = NonNullable<SearchQuery["sort"]>;

/** What a search asks for, after the gateway checked it. */
export interface SearchRequest {
  readonly q?: string | undefined;
  readonly category?: string | undefined;
  readonly author?: string | undefined;
  readonly format?: SearchQuery["format"];
  readonly minPrice?: number | undefined;
  readonly maxPrice?: number | undefined;
  readonly inStock?: boolean | undefined;
  readonly sort?: Sort | undefined;
}

/** A filter a facet leaves out when counting its own choices. */
type FacetFilter = "category" | "author" | "format" | "price";

/** Top choices shown per facet (the contract's maxItems). */
const FACET_LIMIT = 50;
/** Price buckets in minor units: `[bounds[i], bounds[i+1])`, the last open-ended. */
const PRICE_BOUNDS = [0, 1000, 2000, 3000, 5000, 10000] as const;
const FORMAT_LABELS: Readonly<Record<string, string>> = {
  hardcover: "Hardcover",
  paperback: "Paperback",
  ebook: "eBook",
  audiobook: "Audiobook",
};

/**
 * A sort: the columns of the match set it orders by (all in one direction, the product id last as the tie-break,
 * so a keyset cursor is a row value) and how to read the position from a row.
 */
interface SortPlan {
  readonly keys: readonly string[];
  readonly direction: "asc" | "desc";
}

function planOf(sort: Sort, text: TextQuery): SortPlan {
  switch (sort) {
    case "relevance":
      // The rank is lower for a better match (full-text.ts); without text, relevance is newest first.
      return text.kind === "match"
        ? { keys: ["rank", "product_id"], direction: "asc" }
        : { keys: ["created_at", "product_id"], direction: "desc" };
    case "newest":
      return { keys: ["created_at", "product_id"], direction: "desc" };
    case "price_asc":
      return { keys: ["price_amount", "product_id"], direction: "asc" };
    case "price_desc":
      return { keys: ["price_amount", "product_id"], direction: "desc" };
    case "rating":
      return { keys: ["rating_key", "rating_count_key", "product_id"], direction: "desc" };
  }
}

interface MatchRow extends SummaryRow {
  readonly doc_id: number;
  readonly rank: number;
  readonly created_at: string;
  readonly rating_key: number;
  readonly rating_count_key: number;
}

/** `GET /search`: one page of matches in the asked order, with facets counted over every match. */
export async function searchProducts(
  db: Kysely<SearchDatabase>,
  request: SearchRequest,
  page: { readonly cursor?: string | undefined; readonly limit: number },
): Promise<SearchResults> {
  const text = request.q === undefined ? undefined : parseTextQuery(request.q);
  const sort = request.sort ?? "relevance";
  const plan = planOf(sort, text ?? { kind: "nothing" });
  const filters = { ...request, sort };
  const position = decodeQueryCursor(page.cursor, filters, (value): value is CursorPosition =>
    plan.keys.every((key) => typeof value[key] === "string" || typeof value[key] === "number"),
  );
  if (text?.kind === "nothing") return { items: [], page: { limit: page.limit, total: 0 }, facets: emptyFacets() };

  const matches = matchSet(db, text, request);
  const operator = sql.raw(plan.direction === "asc" ? ">" : "<");
  const after = position
    ? sql`where (${sql.join(plan.keys.map((key) => sql.ref(key)))}) ${operator} (${sql.join(
        plan.keys.map((key) => position[key]),
      )})`
    : sql``;
  const order = sql.join(plan.keys.map((key) => sql`${sql.ref(key)} ${sql.raw(plan.direction)}`));
  const { rows } =
    await sql<MatchRow>`select * from (${matches}) m ${after} order by ${order} limit ${page.limit + 1}`.execute(db);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  const highlights = text?.kind === "match" ? await highlightsOf(db, text, items) : new Map();
  const [total, facets] = await Promise.all([countOf(db, matches), facetsOf(db, text, request)]);
  return {
    items: items.map((row) => {
      const highlight = highlights.get(row.doc_id);
      return {
        product: toSummary(row),
        score: Math.max(0, -row.rank),
        ...(highlight && Object.keys(highlight).length > 0 ? { highlights: highlight } : {}),
      };
    }),
    page: {
      limit: page.limit,
      total,
      ...(rows.length > page.limit && last
        ? {
            nextCursor: encodeCursor(
              Object.fromEntries(plan.keys.map((key) => [key, last[key as keyof MatchRow] as string | number])),
              filters,
            ),
          }
        : {}),
    },
    facets,
  };
}

/**
 * The matches of `text` and every filter of `request` but `omit`, one row per active document, with the columns
 * the sorts and facets need. Discontinued products never match.
 */
function matchSet(
  db: Kysely<SearchDatabase>,
  text: TextQuery | undefined,
  request: SearchRequest,
  omit?: FacetFilter,
): RawBuilder<MatchRow> {
  const conditions: RawBuilder<unknown>[] = [sql`d.status = 'ACTIVE'`];
  if (text?.kind === "isbn") conditions.push(sql`d.isbn = ${text.isbn}`);
  if (request.category !== undefined && omit !== "category")
    conditions.push(sql`exists (select 1 from search_document_categories dc where dc.product_id = d.product_id
      and (dc.category_id = ${request.category} or dc.category_id in
        (select category_id from search_category_paths where ancestor_id = ${request.category})))`);
  if (request.author !== undefined && omit !== "author")
    conditions.push(sql`exists (select 1 from search_document_authors da where da.product_id = d.product_id
      and da.author_id = ${request.author})`);
  if (request.format !== undefined && omit !== "format") conditions.push(sql`d.format = ${request.format}`);
  if (request.minPrice !== undefined && omit !== "price") conditions.push(sql`d.price_amount >= ${request.minPrice}`);
  if (request.maxPrice !== undefined && omit !== "price") conditions.push(sql`d.price_amount <= ${request.maxPrice}`);
  if (request.inStock === true) conditions.push(sql`coalesce(s.on_hand - s.reserved, 0) > 0`);
  const where = sql.join(conditions, sql` and `);
  const columns = sql`${SUMMARY_COLUMNS}, d.doc_id, d.created_at, coalesce(r.average, 0) as rating_key,
    coalesce(r.count, 0) as rating_count_key`;
  if (text?.kind === "match") return matchQuery(db, text, { columns, joins: SUMMARY_JOINS, where }).$castTo<MatchRow>();
  return sql<MatchRow>`select ${columns}, 0 as rank from search_documents d ${SUMMARY_JOINS} where ${where}`;
}

async function countOf(db: Kysely<SearchDatabase>, matches: RawBuilder<MatchRow>): Promise<number> {
  const { rows } = await sql<{ total: number }>`select count(*) as total from (${matches}) as m`.execute(db);
  return Number(rows[0]?.total ?? 0);
}

/** Title, subtitle and a description snippet of the page's documents, with the matched words marked. */
async function highlightsOf(
  db: Kysely<SearchDatabase>,
  text: Extract<TextQuery, { kind: "match" }>,
  items: readonly MatchRow[],
): Promise<Map<number, { title?: string; subtitle?: string; description?: string }>> {
  if (items.length === 0) return new Map();
  const rows = await markedFragments(
    db,
    text,
    items.map((item) => item.doc_id),
  );
  return new Map(
    rows.map((row) => {
      const title = toHighlight(row.title);
      const subtitle = toHighlight(row.subtitle);
      const description = toHighlight(row.description);
      return [
        row.doc_id,
        {
          ...(title === undefined ? {} : { title }),
          ...(subtitle === undefined ? {} : { subtitle }),
          ...(description === undefined ? {} : { description }),
        },
      ];
    }),
  );
}

function emptyFacets(): SearchResults["facets"] {
  return { categories: [], formats: [], authors: [], priceRanges: [] };
}

/**
 * Facets over all matches, each with every filter applied except its own, so a count says how many results picking
 * that choice would give. A category counts the products filed under it or any of its sub-categories (what its
 * filter would find).
 */
async function facetsOf(
  db: Kysely<SearchDatabase>,
  text: TextQuery | undefined,
  request: SearchRequest,
): Promise<SearchResults["facets"]> {
  const [categories, formats, authors, prices] = await Promise.all([
    sql<{ value: string; label: string; count: number }>`
      with m as (${matchSet(db, text, request, "category")}),
      filed as (
        select dc.product_id, dc.category_id from search_document_categories dc
        union select dc.product_id, p.ancestor_id from search_document_categories dc
          join search_category_paths p on p.category_id = dc.category_id)
      select filed.category_id as value, coalesce(c.name, filed.category_id) as label,
        count(distinct m.product_id) as count
      from m join filed on filed.product_id = m.product_id
      left join search_categories c on c.category_id = filed.category_id
      group by filed.category_id, c.name order by count desc, label, value limit ${FACET_LIMIT}`.execute(db),
    sql<{ value: string; count: number }>`
      select format as value, count(*) as count from (${matchSet(db, text, request, "format")}) as m
      group by format order by count desc, value`.execute(db),
    sql<{ value: string; label: string; count: number }>`
      with m as (${matchSet(db, text, request, "author")})
      select a.author_id as value, min(a.name) as label, count(distinct m.product_id) as count
      from m join search_document_authors a on a.product_id = m.product_id
      group by a.author_id order by count desc, label, value limit ${FACET_LIMIT}`.execute(db),
    sql<{ currency: string; bucket: number; count: number }>`
      select price_currency as currency, ${bucketOf()} as bucket, count(*) as count
      from (${matchSet(db, text, request, "price")}) as m group by currency, bucket order by currency, bucket`.execute(
      db,
    ),
  ]);
  return {
    categories: categories.rows.map((row) => ({ value: row.value, label: row.label, count: Number(row.count) })),
    formats: formats.rows.map((row) => ({
      value: row.value,
      label: FORMAT_LABELS[row.value] ?? row.value,
      count: Number(row.count),
    })),
    authors: authors.rows.map((row) => ({ value: row.value, label: row.label, count: Number(row.count) })),
    priceRanges: prices.rows.slice(0, 20).map((row) => {
      const min = PRICE_BOUNDS[row.bucket]!;
      const max = PRICE_BOUNDS[row.bucket + 1];
      return {
        ...(min === 0 ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        currency: row.currency,
        count: Number(row.count),
      };
    }),
  };
}

/** The index in {@link PRICE_BOUNDS} of a match's price bucket. */
function bucketOf(): RawBuilder<number> {
  const cases = PRICE_BOUNDS.slice(1).map((bound, index) => sql`when price_amount < ${bound} then ${sql.lit(index)}`);
  return sql<number>`case ${sql.join(cases, sql` `)} else ${sql.lit(PRICE_BOUNDS.length - 1)} end`;
}
