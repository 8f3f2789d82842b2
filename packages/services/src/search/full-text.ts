import { type Kysely, type RawBuilder, sql } from "kysely";
import { dialectOf } from "../platform/index.js";
import type { SearchDatabase } from "./store.js";
import { MATCH_CLOSE, MATCH_OPEN, type TextQuery } from "./text-query.js";

/**
 * The full-text index `search_fts` on both stores, with the same columns and the same key (`rowid`, the document's
 * `doc_id`), so the projection writes it the same way on both.
 *
 * - SQLite: an FTS5 table, bm25 ranking (lower is better), highlight() and snippet().
 * - PostgreSQL: a table whose generated `tsv` column weighs the columns as bm25 does (title A, subtitle B, authors C,
 *   the rest D) under the `search_text` configuration (the `simple` one, with `unaccent` first when the database
 *   has that extension), a GIN index, `ts_rank_cd` ranking negated (so lower is better there too) and ts_headline.
 *
 * Both find the same documents for the same words, but rank them differently (bm25 and cover density are different
 * formulas), so a search's result set is the same on both and its order by relevance and its scores are not. Where
 * they tokenize differently (PostgreSQL keeps `e-mail` whole beside `e` and `mail`; without unaccent it does not fold
 * accents; without ICU it folds only ASCII case), a search may find slightly different sets.
 */

type Store = Kysely<SearchDatabase>;

/** The columns of `search_fts` in FTS5's order (bm25's and highlight's column numbers). */
const COLUMNS = ["title", "subtitle", "authors", "publisher", "description", "isbn"] as const;

/** bm25 weights per FTS column: title, subtitle, authors, publisher, description, isbn. */
const BM25 = sql.raw("bm25(search_fts, 10.0, 4.0, 3.0, 1.0, 1.0, 1.0)");

/** ts_rank_cd's weights for D, C, B, A (at most 1 each): bm25's 1, 3, 4 and 10, divided by 10. */
const RANK_WEIGHTS = sql.raw("'{0.1, 0.3, 0.4, 1.0}'::float4[]");

/** Create the index; a migration step (`db` is the migration's). */
// biome-ignore lint/suspicious/noExplicitAny: migrations see the database untyped.
export async function createFullTextIndex(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) === "sqlite") {
    // bm25 over these columns; unicode61 folds case and diacritics, so "Gödel" finds "godel".
    await sql`create virtual table search_fts using fts5(title, subtitle, authors, publisher, description, isbn, tokenize = 'unicode61 remove_diacritics 2')`.execute(
      db,
    );
    return;
  }
  // unaccent is an extension the store's bootstrap creates (in any schema this role may use); without it accents
  // stay as they are. ICU, when the server has it, folds the case of every letter as FTS5 does, not only ASCII's.
  const { rows } = await sql<{ unaccent: string | null; icu: boolean }>`select
      (select quote_ident(n.nspname) || '.unaccent' from pg_ts_dict d join pg_namespace n on n.oid = d.dictnamespace
        where d.dictname = 'unaccent' and has_schema_privilege(n.oid, 'USAGE') limit 1) as unaccent,
      exists (select 1 from pg_collation where collname = 'und-x-icu') as icu`.execute(db);
  const { unaccent, icu } = rows[0]!;
  await sql`create text search configuration search_text (copy = simple)`.execute(db);
  if (unaccent)
    await sql`alter text search configuration search_text alter mapping
      for asciihword, asciiword, hword, hword_asciipart, hword_part, word with ${sql.raw(unaccent)}, simple`.execute(
      db,
    );
  await sql`create function search_fold(value text) returns text language sql immutable strict parallel safe
    return ${icu ? sql`lower(value collate "und-x-icu")` : sql`lower(value)`}`.execute(db);
  const vector = (column: RawBuilder<unknown>, weight: string) =>
    sql`setweight(to_tsvector('search_text', search_fold(${column})), ${sql.lit(weight)})`;
  await sql`create table search_fts (
      rowid integer primary key,
      ${sql.join(COLUMNS.map((column) => sql`${sql.ref(column)} text not null`))},
      tsv tsvector generated always as (
        ${vector(sql.ref("title"), "A")} || ${vector(sql.ref("subtitle"), "B")} || ${vector(sql.ref("authors"), "C")}
        || ${vector(sql`publisher || ' ' || description || ' ' || isbn`, "D")}) stored)`.execute(db);
  await sql`create index search_fts_by_text on search_fts using gin (tsv)`.execute(db);
}

type Match = Extract<TextQuery, { kind: "match" }>;

/** PostgreSQL's form of a match: every word, the last also as a prefix (as FTS5's expression). */
function tsQuery(text: Match): RawBuilder<unknown> {
  const expression = text.words
    .map((word, index) => (index === text.words.length - 1 ? `${word}:*` : word))
    .join(" & ");
  return sql`to_tsquery('search_text', search_fold(${expression}))`;
}

/**
 * The FROM and WHERE of a text match: `search_fts` joined to `search_documents d` on its key, with the match's rank
 * (lower is better) as `rank`; `columns`, `joins` and `where` are the caller's.
 */
export function matchQuery(
  db: Store,
  text: Match,
  parts: {
    readonly columns: RawBuilder<unknown>;
    readonly joins: RawBuilder<unknown>;
    readonly where: RawBuilder<unknown>;
  },
): RawBuilder<unknown> {
  const { columns, joins, where } = parts;
  if (dialectOf(db) === "sqlite")
    return sql`select ${columns}, ${BM25} as rank from search_fts
      join search_documents d on d.doc_id = search_fts.rowid ${joins}
      where search_fts match ${text.expression} and ${where}`;
  return sql`select ${columns}, -ts_rank_cd(${RANK_WEIGHTS}, search_fts.tsv, q.query)::float8 as rank
    from (select ${tsQuery(text)} as query) q
    join search_fts on search_fts.tsv @@ q.query
    join search_documents d on d.doc_id = search_fts.rowid ${joins}
    where ${where}`;
}

/** The marked-up fragments of a document: title and subtitle whole, the description around its first match. */
export interface MarkedFragments {
  readonly doc_id: number;
  readonly title: string;
  readonly subtitle: string;
  readonly description: string;
}

/** Title, subtitle and a description snippet of `docIds`, with the words `text` matched wrapped in MATCH_OPEN/CLOSE. */
export async function markedFragments(db: Store, text: Match, docIds: readonly number[]): Promise<MarkedFragments[]> {
  if (dialectOf(db) === "sqlite") {
    const { rows } = await sql<MarkedFragments>`
      select rowid as doc_id,
        highlight(search_fts, 0, ${MATCH_OPEN}, ${MATCH_CLOSE}) as title,
        highlight(search_fts, 1, ${MATCH_OPEN}, ${MATCH_CLOSE}) as subtitle,
        snippet(search_fts, 4, ${MATCH_OPEN}, ${MATCH_CLOSE}, '…', 24) as description
      from search_fts where search_fts match ${text.expression}
        and rowid in (${sql.join(docIds)})`.execute(db);
    return rows;
  }
  const marks = `StartSel="${MATCH_OPEN}", StopSel="${MATCH_CLOSE}"`;
  const { rows } = await sql<MarkedFragments & { whole_description: string }>`
    select rowid as doc_id,
      ts_headline('search_text', title, q.query, ${`HighlightAll=true, ${marks}`}) as title,
      ts_headline('search_text', subtitle, q.query, ${`HighlightAll=true, ${marks}`}) as subtitle,
      ts_headline('search_text', description, q.query, ${`MaxFragments=1, MaxWords=24, MinWords=12, ${marks}`})
        as description,
      description as whole_description
    from (select ${tsQuery(text)} as query) q join search_fts on search_fts.tsv @@ q.query
    where rowid in (${sql.join(docIds)})`.execute(db);
  return rows.map(({ whole_description, ...row }) => ({
    ...row,
    description: withEllipses(row.description, whole_description),
  }));
}

/** A fragment of `whole` with `…` where it was cut, as FTS5's snippet() writes it. */
function withEllipses(fragment: string, whole: string): string {
  const plain = fragment.replaceAll(MATCH_OPEN, "").replaceAll(MATCH_CLOSE, "");
  if (plain === whole) return fragment;
  return `${whole.startsWith(plain) ? "" : "…"}${fragment}${whole.endsWith(plain) ? "" : "…"}`;
}
