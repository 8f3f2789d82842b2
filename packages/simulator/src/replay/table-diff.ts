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

interface TableShape {
  /** Every column to compare (a virtual table's rowid first: FTS5 rows are keyed by it). */
  readonly columns: readonly string[];
  /** The columns that identify a row. */
  readonly key: readonly string[];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

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
 * row, in SQL (EXCEPT both ways), so memory stays flat however big the table. Undefined when they are identical.
 */
export function diffTable(db: Database, table: string): TableDifference | undefined {
  const shape = shapeOf(db, table);
  const columns = shape.columns.map(quote).join(", ");
  const only = (left: string, right: string) =>
    `select ${columns} from ${left}.${quote(table)} except select ${columns} from ${right}.${quote(table)}`;
  const count = (sql: string) => (db.prepare(`select count(*) as n from (${sql})`).get() as { n: number }).n;
  const unexpected = count(only("main", "rebuilt"));
  const missing = count(only("rebuilt", "main"));
  if (unexpected === 0 && missing === 0) return undefined;
  const keyColumns = shape.key.map(quote).join(", ");
  const rows = db
    .prepare(
      `select distinct ${keyColumns} from (${only("main", "rebuilt")} union all ${only("rebuilt", "main")})
       order by ${keyColumns} limit ${KEYS_SHOWN}`,
    )
    .all() as Record<string, unknown>[];
  const keys = rows.map((row) => shape.key.map((column) => `${column}=${String(row[column])}`).join(","));
  return { table, unexpected, missing, keys };
}

/** Replace the rows of `table` in `main` with those of the attached `rebuilt` schema (inside the caller's transaction). */
export function copyTable(db: Database, table: string): void {
  const columns = shapeOf(db, table).columns.map(quote).join(", ");
  db.prepare(`delete from main.${quote(table)}`).run();
  db.prepare(`insert into main.${quote(table)} (${columns}) select ${columns} from rebuilt.${quote(table)}`).run();
}
