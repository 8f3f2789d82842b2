import { CANONICAL_TABLES, type CanonicalTable } from "./canonical-tables.js";

/**
 * A canonical export of a platform's state: per context, the rows that matter ({@link CANONICAL_TABLES}), in an order
 * and a form that depend on neither the backend, the process layout nor the run, so that one scenario run on the
 * embedded default and on PostgreSQL + NATS split over processes can be compared as two JSON documents.
 *
 * What is normalised, and why:
 * - **Timestamps are dropped** (every `*_at` column, and the few dated columns the tables name): a seeded platform
 *   runs on a frozen clock from 2026-01-01, an unseeded one on the time of day, each process of a split one on its own.
 *   `analytics.daily_revenue` loses its `date` and is summed over the days, so a run across midnight still compares.
 * - **Ids are replaced by their rank within their prefix** (`ord_01JH…` → `ord#2`), ranked in the order the export
 *   first meets them: tables are walked in the tables' order and each table's rows sorted by their content with the
 *   ids not ranked yet masked (`ord#?`), so a rank says "the second order of the export", not "the order whose ULID
 *   sorted second" (ULIDs carry the clock and random digits, which two runs do not share). Hence the tables' order:
 *   a table comes after those whose ids tell its rows apart (customers, known by e-mail, before their orders; orders
 *   before the payment tokens their checkouts used). Ids inside text and JSON are ranked too, and so are RMA numbers,
 *   which are random. Two rows that differ only in ids not ranked yet are told apart by their ids' raw order, which a
 *   run does not fix: a scenario that compares should make such rows differ (another customer, book or quantity).
 * - **Provenance is dropped**: correlation and event ids, attempt counts, an autoincrement `seq` or `doc_id`, and the
 *   simulated processor's references: they say how a run got there (retries across processes legitimately differ),
 *   not where it is.
 * - **Search scores are not exported**: search's documents, stock, ratings and order lines are; its full-text index
 *   is not.
 * - **JSON held in text columns is parsed**, and every object's keys sorted, so spacing and key order do not count.
 * - **A value kept in a shorter form is read out** (a table's `read`): an order billed to its shipping address shows
 *   that address as its billing address, as orders that keep both copies do.
 */

/** One row as a store gives it. */
export type CanonicalRow = Record<string, unknown>;

/** Reads every row of a context's table, on whichever backend. */
export type TableReader = (context: string, table: string) => Promise<readonly CanonicalRow[]>;

/** The export: `context.table` → its rows, normalised and sorted, in the tables' order. */
export type CanonicalExport = Record<string, readonly CanonicalRow[]>;

/** A prefixed ULID id (`ord_01JH8Z…`, as ulid-ids.ts makes them), or an RMA number (fulfilment's return-rules.ts). */
const ID = /\b(?:([a-z][a-z0-9]*)_[0-9A-HJKMNP-TV-Z]{26}|(RMA)-[0-9A-HJKMNP-TV-Z]{8})\b/g;

/** Read every table of `tables` through `read`, normalised as this module's comment says. */
export async function canonicalExport(
  read: TableReader,
  tables: typeof CANONICAL_TABLES = CANONICAL_TABLES,
): Promise<CanonicalExport> {
  const ranks = new Map<string, string>();
  const counts = new Map<string, number>();
  /** `text` with every id replaced by its rank; an id not ranked yet is ranked next, or with `mask` shown as `#?`. */
  const ranked = (text: string, mask: boolean) =>
    text.replace(ID, (id, prefix: string | undefined, rma: string | undefined) => {
      const kind = prefix ?? rma ?? "id";
      let rank = ranks.get(id);
      if (rank === undefined && !mask) {
        const count = (counts.get(kind) ?? 0) + 1;
        counts.set(kind, count);
        rank = `${kind}#${count}`;
        ranks.set(id, rank);
      }
      return rank ?? `${kind}#?`;
    });

  const exported: CanonicalExport = {};
  for (const [context, specs] of tables)
    for (const spec of specs) {
      const rows = (await read(context, spec.table)).map((row) =>
        JSON.stringify(shaped(spec.read ? spec.read(row) : row, spec)),
      );
      const byMasked = rows.map((text) => ({ text, masked: ranked(text, true) })).sort(byMaskedText);
      const labelled = byMasked.map(({ text }) => ranked(text, false)).sort();
      const parsed = labelled.map((text) => JSON.parse(text) as CanonicalRow);
      exported[`${context}.${spec.table}`] = spec.sum ? summed(parsed) : parsed;
    }
  return exported;
}

/** The row's kept columns, keys sorted, JSON text parsed. */
function shaped(row: CanonicalRow, spec: CanonicalTable): CanonicalRow {
  const kept: CanonicalRow = {};
  for (const column of Object.keys(row).sort()) {
    const dropped = spec.only ? !spec.only.includes(column) : column.endsWith("_at") || spec.drop?.includes(column);
    if (!dropped) kept[column] = parsedJson(row[column]);
  }
  return kept;
}

function parsedJson(value: unknown): unknown {
  if (typeof value !== "string" || !/^[[{]/.test(value)) return value;
  try {
    return sortedKeys(JSON.parse(value));
  } catch {
    return value;
  }
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  const object = value as CanonicalRow;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, sortedKeys(object[key])]),
  );
}

/** Rows equal in their columns that are not numbers, merged into one with their numbers added. */
function summed(rows: readonly CanonicalRow[]): CanonicalRow[] {
  const merged = new Map<string, CanonicalRow>();
  for (const row of rows) {
    const key = JSON.stringify(Object.entries(row).filter(([, value]) => typeof value !== "number"));
    const into = merged.get(key);
    if (!into) {
      merged.set(key, { ...row });
      continue;
    }
    for (const [column, value] of Object.entries(row))
      if (typeof value === "number") into[column] = (into[column] as number) + value;
  }
  return [...merged.values()];
}

type Sortable = { readonly masked: string; readonly text: string };

/** By the masked text, then (rows that differ only in ids not ranked yet) by the raw text. */
function byMaskedText(left: Sortable, right: Sortable): number {
  return compare(left.masked, right.masked) || compare(left.text, right.text);
}

function compare(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
