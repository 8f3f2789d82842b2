import type { Database } from "better-sqlite3";

/** How one read-model table differs from its rebuild. */
export interface TableDifference {
  readonly table: string;
  /** Rows the live table has that the rebuild does not (altered or extra), by key. */
  readonly unexpected: number;
  /** Rows the rebuild has that the live table lacks (altered or deleted), by key. */
  readonly missing: number;
  /** A few keys of differing rows, as `column=value` pairs. */
  readonly keys: readonly string[];
}

/** How many differing keys a report names per table. */
const KEYS_SHOWN = 5;

/** What is compared of a table. */
export interface TableShape {
  /** Every column to compare (a virtual table's rowid first: FTS5 rows are keyed by it). */
  readonly columns: readonly string[];
  /** The columns that identify a row. */
  readonly key: readonly string[];
}

/** An identifier in double quotes, as both SQLite and PostgreSQL take it. */
export const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * The three queries that compare `table` in schema `live` with the same table in schema `rebuilt`, row by row, in
 * SQL (EXCEPT both ways, so memory stays flat however big the table), the same text on SQLite (schemas `main` and
 * an attached one) and PostgreSQL (the context's schema and its scratch schema): how many rows only the live table
 * has, how many only the rebuild has, and the first keys of either, in key order.
 */
export function diffQueries(
  shape: TableShape,
  table: string,
  schemas: { readonly live: string; readonly rebuilt: string },
): { readonly unexpected: string; readonly missing: string; readonly keys: string } {
  const columns = shape.columns.map(quoteIdentifier).join(", ");
  const of = (schema: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  const only = (left: string, right: string) =>
    `select ${columns} from ${of(left)} except select ${columns} from ${of(right)}`;
  const count = (query: string) => `select count(*) as n from (${query}) as differing`;
  const keyColumns = shape.key.map(quoteIdentifier).join(", ");
  const { live, rebuilt } = schemas;
  return {
    unexpected: count(only(live, rebuilt)),
    missing: count(only(rebuilt, live)),
    keys: `select distinct ${keyColumns} from (${only(live, rebuilt)} union all ${only(rebuilt, live)}) as differing
       order by ${keyColumns} limit ${KEYS_SHOWN}`,
  };
}

/** A difference as reported, from the two counts and the rows of keys the queries of {@link diffQueries} found. */
export function tableDifference(
  table: string,
  shape: TableShape,
  counts: { readonly unexpected: number; readonly missing: number },
  keyRows: readonly Record<string, unknown>[],
): TableDifference | undefined {
  if (counts.unexpected === 0 && counts.missing === 0) return undefined;
  const keys = keyRows.map((row) => shape.key.map((column) => `${column}=${String(row[column])}`).join(","));
  return { table, ...counts, keys };
}

/** The columns and key of `table` in the `main` schema of `db`. */
export function shapeOf(db: Database, table: string): TableShape {
  const info = db.prepare(`select name, pk from pragma_table_info(?)`).all(table) as { name: string; pk: number }[];
  if (info.length === 0) throw new Error(`the store has no table ${table}`);
  const definition = db.prepare(`select sql from sqlite_master where type = 'table' and name = ?`).get(table) as
    | { sql: string | null }
    | undefined;
  const isVirtual = /^create virtual table/i.test(definition?.sql ?? "");
  const key = info
    .filter((column) => column.pk > 0)
    .sort((a, b) => a.pk - b.pk)
    .map((column) => column.name);
  const names = info.map((column) => column.name);
  if (isVirtual) return { columns: ["rowid", ...names], key: ["rowid"] };
  return { columns: names, key: key.length > 0 ? key : names };
}

/**
 * Compare `table` in the `main` schema (the live store) with the same table in the attached `rebuilt` schema, row by
 * row ({@link diffQueries}). Undefined when they are identical.
 */
export function diffTable(db: Database, table: string): TableDifference | undefined {
  const shape = shapeOf(db, table);
  const queries = diffQueries(shape, table, { live: "main", rebuilt: "rebuilt" });
  const count = (query: string) => (db.prepare(query).get() as { n: number }).n;
  const counts = { unexpected: count(queries.unexpected), missing: count(queries.missing) };
  if (counts.unexpected === 0 && counts.missing === 0) return undefined;
  return tableDifference(table, shape, counts, db.prepare(queries.keys).all() as Record<string, unknown>[]);
}

/** Replace the rows of `table` in `main` with those of the attached `rebuilt` schema (inside the caller's transaction). */
export function copyTable(db: Database, table: string): void {
  const columns = shapeOf(db, table).columns.map(quoteIdentifier).join(", ");
  db.prepare(`delete from main.${quoteIdentifier(table)}`).run();
  db.prepare(
    `insert into main.${quoteIdentifier(table)} (${columns}) select ${columns} from rebuilt.${quoteIdentifier(table)}`,
  ).run();
}
