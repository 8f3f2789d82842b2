import type { Database, Statement } from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";

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
  capacity: number = DEFAULT_STATEMENT_CACHE_SIZE,
): SqliteDatabase & { readonly size: number } {
  const statements = new Map<string, Statement>();
  return {
    get size() {
      return statements.size;
    },
    close() {
      statements.clear();
      database.close();
    },
    prepare(sql: string): SqliteStatement {
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
    },
  };
}
