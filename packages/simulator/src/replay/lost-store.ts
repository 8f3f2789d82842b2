import { existsSync, rmSync, statSync } from "node:fs";
import type { AnyContextModule } from "@ecom/services/platform";
import Database from "better-sqlite3";
import type { Kysely } from "kysely";
import { migrate, openSqliteStore, runtimeMigrations } from "../sqlite-store.js";

/** Whether a store file is gone: missing, 0 bytes, or holding no tables (emptied). */
export function isLostStore(file: string): boolean {
  if (!existsSync(file) || statSync(file).size === 0) return true;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const any = db.prepare("select 1 from sqlite_master where type = 'table' limit 1").get();
    return any === undefined;
  } finally {
    db.close();
  }
}

/** The context's own tables in `db` (not the runtime's `_…`, SQLite's, or an FTS5 table's shadow tables). */
function ownTables(db: Database.Database): string[] {
  const rows = db
    .prepare("select name, sql from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\'")
    .all() as { name: string; sql: string | null }[];
  const virtual = rows.filter((row) => /^create virtual table/i.test(row.sql ?? "")).map((row) => row.name);
  return rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith("_"))
    .filter((name) => !virtual.some((table) => name.startsWith(`${table}_`)));
}

/**
 * Make a new store for a context whose store was lost, when everything in it is a read model: the runtime's tables
 * and the context's migrations, for replay to fill. A context that also keeps original facts (reviews, recorded
 * interactions) is refused: replay would bring back its read models and silently leave its facts lost.
 */
export async function recreateReadModelStore(module: AnyContextModule, file: string): Promise<string | undefined> {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  const store = openSqliteStore<unknown>(file);
  try {
    await migrate(store.db as Kysely<unknown>, runtimeMigrations, {
      label: `${module.name} (runtime tables)`,
      table: "_migrations_runtime",
    });
    await migrate(store.db as Kysely<unknown>, module.migrations, { label: module.name, table: "_migrations" });
  } finally {
    await store.close();
  }
  const projected = new Set((module.projections ?? []).flatMap((projection) => projection.tables));
  const db = new Database(file, { readonly: true });
  let facts: string[];
  try {
    facts = ownTables(db).filter((table) => !projected.has(table));
  } finally {
    db.close();
  }
  if (facts.length === 0) return undefined;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  return facts.join(", ");
}
