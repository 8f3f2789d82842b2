import type { Database, Statement } from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";
import type { SqlTrace } from "./sql-trace.js";

/** How many prepared statements one database keeps by default: every query shape the contexts use, with room. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 512;

/**
 * A better-sqlite3 database as Kysely's SQLite dialect sees it, except that each SQL text is prepared once and the
 * statement reused: Kysely's driver calls `prepare` for every query, and preparing costs about as much as running
 * a small statement. The cache is bounded (least recently used first out), since a few query shapes have SQL that
 * varies with their input (`in (?, ?, …)` lists, multi-row inserts). A statement still busy (an iterator of an
 * open stream) is never handed out twice: that call gets a statement of its own.
 */
export function createStatementCache(
  database: Database,
  options: {
    /** At most this many statements are kept ({@link DEFAULT_STATEMENT_CACHE_SIZE} by default). */
    readonly capacity?: number;
    /** Count every run of every statement under `store` (`ECOM_SQL_TRACE`). */
    readonly trace?: { readonly trace: SqlTrace; readonly store: string } | undefined;
  } = {},
): SqliteDatabase & { readonly size: number } {
  const capacity = options.capacity ?? DEFAULT_STATEMENT_CACHE_SIZE;
  const statements = new Map<string, Statement>();
  const traced = options.trace;
  const inTransaction = () => database.inTransaction;
  const prepare = (sql: string): SqliteStatement => {
    const cached = statements.get(sql);
    if (cached) {
      if (cached.busy) return database.prepare(sql);
      // Re-inserted so the Map's order is least recently used first.
      statements.delete(sql);
      statements.set(sql, cached);
      return cached;
    }
    const statement = database.prepare(sql);
    statements.set(sql, statement);
    if (statements.size > capacity) statements.delete(statements.keys().next().value!);
    return statement;
  };
  return {
    get size() {
      return statements.size;
    },
    close() {
      statements.clear();
      database.close();
    },
    prepare: traced ? (sql: string) => traced.trace.wrap(traced.store, sql, prepare(sql), inTransaction) : prepare,
  };
}
