import { existsSync, rmSync, statSync } from "node:fs";
import { messageRegistry } from "@ecom/sdk/contracts";
import type { AnyContextModule } from "@ecom/services/platform";
import Database from "better-sqlite3";
import { type Kysely, sql } from "kysely";
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

/** The context's own tables in a store (not the runtime's `_…`, SQLite's, or an FTS5 table's shadow tables). */
async function ownTables(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string; sql: string | null }>`select name, sql from sqlite_master
      where type = 'table'`.execute(db);
  const virtual = rows.filter((row) => /^create virtual table/i.test(row.sql ?? "")).map((row) => row.name);
  return rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith("_") && !name.startsWith("sqlite_"))
    .filter((name) => !virtual.some((table) => name.startsWith(`${table}_`)));
}

/** Apply the runtime's and the context's migrations to a store; resolves with its tables no projection fills. */
async function migrateContextStore(module: AnyContextModule, file: string): Promise<string[]> {
  const store = openSqliteStore<unknown>(file);
  try {
    const db = store.db as Kysely<unknown>;
    await migrate(db, runtimeMigrations, { label: `${module.name} (runtime tables)`, table: "_migrations_runtime" });
    await migrate(db, module.migrations, { label: module.name, table: "_migrations" });
    const projected = new Set((module.projections ?? []).flatMap((projection) => projection.tables));
    return (await ownTables(db)).filter((table) => !projected.has(table));
  } finally {
    await store.close();
  }
}

/** The tables of a context's store that no projection fills: its original facts (built in memory, nothing written). */
export function factTablesOf(module: AnyContextModule): Promise<string[]> {
  return migrateContextStore(module, ":memory:");
}

/**
 * Whether a context's own facts are private to it: it publishes no event (per the contracts' message registry), so
 * no event carries them and no other context refers to them. Such a context (search: its interactions) can have its
 * read models rebuilt into a new store, losing only those facts; a context that publishes (review, catalog) cannot,
 * since the log and the other contexts would point at facts it no longer has.
 */
export function keepsPrivateFactsOnly(context: string): boolean {
  return !Object.values(messageRegistry).some((entry) => entry.kind === "event" && entry.producer === context);
}

/**
 * Make a new store for a context whose store was lost: the runtime's tables and the context's migrations, for replay
 * to fill. Resolves with the context's tables that no projection fills (its original facts, now empty for good);
 * empty when everything in it is a read model.
 */
export async function recreateContextStore(module: AnyContextModule, file: string): Promise<string[]> {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  return migrateContextStore(module, file);
}
