import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { SqlTraceEntry } from "@ecom/simulator";
import Database from "better-sqlite3";

// With ECOM_SQL_TRACE set, the checkout bench also says where a checkout's database work goes: statements and
// transactions per store, the statements run most, and the bytes each table keeps. Written to stderr, beside the
// figures, so the table on stdout stays the README's.

const isTransactionControl = (sql: string) => /^\s*(begin|commit|rollback|savepoint|release)\b/i.test(sql);

/** Statements and transactions per store, and the `top` statements by runs, each per `operations`. */
export function formatSqlTrace(entries: readonly SqlTraceEntry[], operations: number, top = 25): string {
  const per = (value: number) => (value / operations).toFixed(1);
  const micros = (value: number) => (value / operations).toFixed(0);
  const stores = new Map<string, { statements: number; begins: number; autocommit: number; micros: number }>();
  for (const entry of entries) {
    const store = stores.get(entry.store) ?? { statements: 0, begins: 0, autocommit: 0, micros: 0 };
    if (/^\s*begin\b/i.test(entry.sql)) store.begins += entry.runs;
    if (!isTransactionControl(entry.sql)) store.statements += entry.runs;
    store.autocommit += entry.autocommitWrites;
    store.micros += entry.micros;
    stores.set(entry.store, store);
  }
  const total = { statements: 0, begins: 0, autocommit: 0, micros: 0 };
  const lines = [
    `SQL per checkout (${operations} checkouts; µs is time inside SQLite, commits included):`,
    "| store | statements | begin…commit | writes outside one (each its own commit) | µs |",
    "|---|---|---|---|---|",
  ];
  for (const [name, store] of [...stores].sort((a, b) => b[1].statements - a[1].statements)) {
    lines.push(
      `| ${name} | ${per(store.statements)} | ${per(store.begins)} | ${per(store.autocommit)} | ${micros(store.micros)} |`,
    );
    total.statements += store.statements;
    total.begins += store.begins;
    total.autocommit += store.autocommit;
    total.micros += store.micros;
  }
  lines.push(
    `| all | ${per(total.statements)} | ${per(total.begins)} | ${per(total.autocommit)} | ${micros(total.micros)} |`,
    "",
  );
  const shown = (entry: SqlTraceEntry) => {
    const sql = entry.sql.replace(/\s+/g, " ");
    return `\`${sql.length > 140 ? `${sql.slice(0, 140)}…` : sql}\``;
  };
  lines.push(`The ${top} statements run most, per checkout:`, "| runs | µs | store | SQL |", "|---|---|---|---|");
  for (const entry of entries.filter((entry) => !isTransactionControl(entry.sql)).slice(0, top))
    lines.push(`| ${per(entry.runs)} | ${micros(entry.micros)} | ${entry.store} | ${shown(entry)} |`);
  lines.push(
    "",
    `The ${top} statements that take longest, per checkout:`,
    "| runs | µs | store | SQL |",
    "|---|---|---|---|",
  );
  for (const entry of [...entries].sort((a, b) => b.micros - a.micros).slice(0, top))
    lines.push(`| ${per(entry.runs)} | ${micros(entry.micros)} | ${entry.store} | ${shown(entry)} |`);
  return lines.join("\n");
}

/** Bytes of each table and index of each store of `folder` (SQLite's dbstat), keyed `store/table`. */
export function tableBytes(folder: string): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const name of readdirSync(folder).filter((file) => file.endsWith(".db"))) {
    const database = new Database(join(folder, name), { readonly: true });
    try {
      const rows = database.prepare("select name, sum(pgsize) as size from dbstat group by name").all() as {
        name: string;
        size: number;
      }[];
      for (const row of rows) bytes.set(`${name.slice(0, -3)}/${row.name}`, row.size);
      const free = database.pragma("freelist_count", { simple: true }) as number;
      const pageSize = database.pragma("page_size", { simple: true }) as number;
      bytes.set(`${name.slice(0, -3)}/(free pages)`, free * pageSize);
    } finally {
      database.close();
    }
  }
  return bytes;
}

/** The growth of each table between two {@link tableBytes}, per `operations`, largest first. */
export function formatTableGrowth(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  operations: number,
): string {
  const growth = [...after]
    .map(([name, size]) => ({ name, bytes: (size - (before.get(name) ?? 0)) / operations }))
    .filter((row) => row.bytes !== 0)
    .sort((a, b) => b.bytes - a.bytes);
  const lines = ["Data kept per checkout, by table and index (dbstat pages):", "| bytes | store/table |", "|---|---|"];
  for (const row of growth) lines.push(`| ${Math.round(row.bytes)} | ${row.name} |`);
  lines.push(`| ${Math.round(growth.reduce((sum, row) => sum + row.bytes, 0))} | all |`);
  return lines.join("\n");
}
