import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { openPostgresStores } from "@ecom/simulator";
import Database from "better-sqlite3";
import { type Kysely, Kysely as KyselyDb, SqliteDialect, sql } from "kysely";

/**
 * A canonical export of a platform's state: per context, the rows that matter, in an order and a form that do not
 * depend on the backend, the process layout or the run, so that one scenario run on the embedded default and on
 * PostgreSQL + NATS split over processes can be compared with one `toEqual`.
 *
 * What is normalised, and why:
 * - **Timestamps are dropped** (every `*_at` column, and the few dated columns {@link TABLES} names): a seeded
 *   embedded platform runs on a frozen clock from 2026-01-01, the processes of a split one each on their own.
 *   `analytics.daily_revenue` loses its `date` and is summed over the days, so a run across midnight still compares.
 * - **Ids are replaced by their rank within their prefix** (`ord_01JH…` → `ord#2`), ranked in the order the export
 *   first meets them: tables are walked in {@link TABLES}' order and each table's rows sorted by their content with
 *   the ids not yet ranked masked (`ord#?`), so a rank says "the second order of the export", not "the order whose
 *   ULID sorted second" — ULIDs carry the clock and random digits, which the runs do not share. The order matters:
 *   a table is placed after the ones whose ids tell its rows apart (customers by e-mail before orders, orders
 *   before the payment tokens their checkouts used). Ids inside text and JSON are ranked too; so are RMA numbers,
 *   which are random.
 * - **Provenance is dropped**: correlation ids, event ids, versions and attempt counts, an autoincrement `seq` or
 *   `doc_id`, which say how a run got there (retries across processes legitimately differ), not where it is; and the
 *   simulated processor's references (`cp_sim_…`), random digits of the outside system's.
 * - **Search scores are not exported**: the full-text index (`search_fts`) is backend-specific (FTS5, tsvector) and
 *   its relevance differs by design; search's documents, stock, ratings and order lines are exported.
 * - **Columns holding JSON are parsed**, and each row's keys sorted, so the text's spacing and key order do not count.
 */

/** One table of the export: its columns (all but those dropped) and how its rows are combined. */
interface TableSpec {
  readonly table: string;
  /** Columns to keep; every column when absent. */
  readonly only?: readonly string[];
  /** Columns to drop besides every `*_at` one. */
  readonly drop?: readonly string[];
  /** Rows equal but for their numbers are summed into one (a per-day aggregate whose days are dropped). */
  readonly sum?: true;
}

const PROVENANCE = ["correlation_id", "causation_id", "trigger_event_id", "traceparent"];

/**
 * The tables exported, per context, in the order ids are ranked (see the module's comment). Tables not here are
 * credentials and sessions, outboxes, cursors and inboxes, idempotency records, the full-text index and reference
 * data no scenario changes (authors, publishers, categories).
 */
export const TABLES: readonly (readonly [context: string, tables: readonly TableSpec[]])[] = [
  ["customer", [{ table: "customers" }, { table: "addresses" }]],
  [
    "catalog",
    [
      { table: "products", only: ["product_id", "isbn", "title", "price_amount", "price_currency", "status"] },
      { table: "price_history", drop: ["seq", "effective_from", "effective_until"] },
      { table: "product_ratings" },
    ],
  ],
  [
    "order",
    [
      { table: "orders", drop: [...PROVENANCE, "created_event_id"] },
      { table: "order_items" },
      { table: "order_status_history", drop: PROVENANCE },
      {
        table: "checkouts",
        only: [
          "checkout_id",
          "cart_id",
          "customer_id",
          "order_id",
          "state",
          "items_json",
          "subtotal",
          "total",
          "payment_id",
          "payment_token",
          "failure_code",
          "failure_step",
        ],
      },
      { table: "checkout_steps", only: ["checkout_id", "position", "name", "status"] },
    ],
  ],
  [
    "payment",
    [
      { table: "payments", drop: PROVENANCE },
      { table: "charges", drop: ["attempts", "processor_reference"] },
      { table: "refunds", drop: [...PROVENANCE, "attempts", "processor_reference"] },
      { table: "payment_methods" },
    ],
  ],
  [
    "inventory",
    [
      { table: "stock_levels" },
      { table: "reservations", drop: [...PROVENANCE, "reserved_event_id"] },
      { table: "adjustments" },
      { table: "return_restocks" },
    ],
  ],
  [
    "fulfilment",
    [
      { table: "shipments", drop: [...PROVENANCE, "estimated_delivery_date"] },
      { table: "tracking_events", drop: ["seq"] },
      { table: "returns", drop: [...PROVENANCE, "refund_attempts"] },
    ],
  ],
  ["cart", [{ table: "carts" }, { table: "cart_items", drop: ["price_as_of"] }]],
  [
    "review",
    [{ table: "reviews" }, { table: "review_flags" }, { table: "review_purchases" }, { table: "rating_aggregates" }],
  ],
  ["promotion", [{ table: "redemptions" }]],
  [
    "search",
    [
      { table: "search_documents", drop: ["doc_id"] },
      { table: "search_stock" },
      { table: "search_inventory_snapshots" },
      { table: "search_ratings" },
      { table: "search_order_lines" },
    ],
  ],
  ["analytics", [{ table: "orders_by_customer" }, { table: "daily_revenue", drop: ["date"], sum: true }]],
  [
    "notification",
    [
      {
        table: "notifications",
        only: ["notification_id", "customer_id", "template_key", "channel", "recipient", "subject", "status"],
      },
      { table: "mailbox", drop: ["message_id"] },
    ],
  ],
];

/** Rows of one table as the store gives them. */
type Row = Record<string, unknown>;

/** Reads every row of a context's table, on whichever backend. */
export type TableReader = (context: string, table: string) => Promise<readonly Row[]>;

/** The export: `context.table` → rows, normalised and sorted. */
export type CanonicalExport = Record<string, readonly Row[]>;

/** A prefixed ULID id (`ord_01JH8Z…`), as ulid-ids.ts makes them, or an RMA number (return-rules.ts). */
const ID = /\b(?:([a-z][a-z0-9]*)_[0-9A-HJKMNP-TV-Z]{26}|(RMA)-[0-9A-HJKMNP-TV-Z]{8})\b/g;

/** Read every table of {@link TABLES} through `read`, and normalise it as the module's comment says. */
export async function canonicalExport(read: TableReader): Promise<CanonicalExport> {
  const ranks = new Map<string, string>();
  const counts = new Map<string, number>();
  const label = (text: string, rankUnknown: boolean) =>
    text.replace(ID, (id, prefix: string | undefined, rma: string | undefined) => {
      const kind = prefix ?? rma ?? "id";
      let rank = ranks.get(id);
      if (rank === undefined && rankUnknown) {
        const count = (counts.get(kind) ?? 0) + 1;
        counts.set(kind, count);
        rank = `${kind}#${count}`;
        ranks.set(id, rank);
      }
      return rank ?? `${kind}#?`;
    });

  const out: CanonicalExport = {};
  for (const [context, tables] of TABLES)
    for (const spec of tables) {
      const rows = (await read(context, spec.table)).map((row) => JSON.stringify(shape(row, spec)));
      // Sorted with unranked ids masked, then ranked in that order, then sorted again as labelled.
      const ordered = rows.map((text) => ({ text, masked: label(text, false) })).sort(byKey("masked"));
      const labelled = ordered.map(({ text }) => label(text, true)).sort();
      const parsed = labelled.map((text) => JSON.parse(text) as Row);
      out[`${context}.${spec.table}`] = spec.sum ? summed(parsed) : parsed;
    }
  return out;
}

/** The row's kept columns, keys sorted, JSON text parsed. */
function shape(row: Row, spec: TableSpec): Row {
  const kept: Row = {};
  for (const column of Object.keys(row).sort()) {
    if (spec.only ? !spec.only.includes(column) : column.endsWith("_at") || spec.drop?.includes(column)) continue;
    kept[column] = parsedJson(row[column]);
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
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortedKeys((value as Row)[key])]),
  );
}

/** Rows equal in their non-number columns, merged with their numbers added. */
function summed(rows: readonly Row[]): Row[] {
  const merged = new Map<string, Row>();
  for (const row of rows) {
    const key = JSON.stringify(Object.entries(row).filter(([, value]) => typeof value !== "number"));
    const into = merged.get(key);
    if (!into) merged.set(key, { ...row });
    else
      for (const [column, value] of Object.entries(row))
        if (typeof value === "number") into[column] = (into[column] as number) + value;
  }
  return [...merged.values()];
}

const byKey =
  <TKey extends string>(key: TKey) =>
  (left: Record<TKey, string>, right: Record<TKey, string>) =>
    left[key] < right[key] ? -1 : left[key] > right[key] ? 1 : 0;

/** Read `select *` of a table through a Kysely of either dialect: the one query both backends run alike. */
async function selectAll(db: Kysely<unknown>, table: string): Promise<readonly Row[]> {
  return (await sql<Row>`select * from ${sql.table(table)}`.execute(db)).rows;
}

/** The canonical export of an embedded platform's data folder (close the platform first, or let it settle). */
export async function exportDataFolder(dataDir: string): Promise<CanonicalExport> {
  const opened = new Map<string, Kysely<unknown>>();
  const dbOf = (context: string) => {
    let db = opened.get(context);
    if (!db) {
      db = new KyselyDb<unknown>({
        dialect: new SqliteDialect({ database: new Database(join(dataDir, `${context}.db`), { readonly: true }) }),
      });
      opened.set(context, db);
    }
    return db;
  };
  try {
    return await canonicalExport((context, table) => selectAll(dbOf(context), table));
  } finally {
    await Promise.all([...opened.values()].map((db) => db.destroy()));
  }
}

/** The canonical export of a platform on PostgreSQL, read through each context's store as the context's own role. */
export async function exportPostgres(url: string): Promise<CanonicalExport> {
  const stores = await openPostgresStores({ url, contexts: allContexts, poolSize: 1 });
  try {
    return await canonicalExport((context, table) => {
      const store = stores.contexts.get(context);
      if (!store) throw new Error(`no store for ${context}`);
      return selectAll(store.db as Kysely<unknown>, table);
    });
  } finally {
    await stores.close();
  }
}
