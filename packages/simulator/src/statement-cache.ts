import type { Database, Statement } from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";
import type { SqlTrace } from "./sql-trace.js";

/** How many prepared statements one database keeps by default: every query shape the contexts use, with room. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 512;

/**
 * A better-sqlite3 database as Kysely's SQLite dialect sees it, except that each SQL text is prepared once and the
 * statement reused: Kysely's driver calls `prepare` for every query, and preparing costs about as much as running
 * a small statement. The cache is bounded (about least recently used first out), since a few query shapes have SQL that
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
  /** In the order they were prepared or last given a second chance; `used` since then. */
  const statements = new Map<string, { readonly statement: Statement; used: boolean }>();
  const traced = options.trace;
  const inTransaction = () => database.inTransaction;
  // One past capacity: the oldest statement not used since it was last looked at goes; a used one is moved to the
  // back instead, unmarked (a second chance). Nearly least recently used, without moving an entry at every hit,
  // which cost a Map delete and set (and the table's compaction of what deletes leave) per statement run.
  const evictOne = () => {
    for (const [sql, entry] of statements) {
      statements.delete(sql);
      if (!entry.used) return;
      entry.used = false;
      statements.set(sql, entry);
    }
  };
  const prepare = (sql: string): SqliteStatement => {
    const cached = statements.get(sql);
    if (cached) {
      if (cached.statement.busy) return database.prepare(sql);
      cached.used = true;
      return cached.statement;
    }
    const statement = database.prepare(sql);
    statements.set(sql, { statement, used: false });
    if (statements.size > capacity) evictOne();
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
