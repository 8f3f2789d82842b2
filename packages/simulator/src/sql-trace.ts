import type { SqliteStatement } from "kysely";

/** How often one SQL text ran on one store, and how many of those runs were writes outside a transaction. */
export interface SqlTraceEntry {
  readonly store: string;
  readonly sql: string;
  readonly runs: number;
  /** Runs of a writing statement outside `begin … commit`: each is a transaction (and a commit) of its own. */
  readonly autocommitWrites: number;
  /** Time spent in SQLite running it (stepping; `commit` includes writing the WAL), in microseconds. */
  readonly micros: number;
}

/**
 * Counts the statements each store runs, by SQL text, to see where a request's database work goes (how many
 * statements and transactions a checkout costs). Off unless the process starts with `ECOM_SQL_TRACE` set; the
 * bench reads and resets it around what it measures (`ECOM_SQL_TRACE=1 npm run bench -- checkout`).
 */
export interface SqlTrace {
  /** Wrap a statement of `store` so that each run is counted; `inTransaction` is asked at the time of the run. */
  wrap(store: string, sql: string, statement: SqliteStatement, inTransaction: () => boolean): SqliteStatement;
  /** Everything counted since the last reset, most runs first. */
  entries(): SqlTraceEntry[];
  reset(): void;
}

/** The process's trace: present when `ECOM_SQL_TRACE` is set (to anything but `0`), undefined otherwise. */
export const sqlTrace: SqlTrace | undefined =
  process.env.ECOM_SQL_TRACE && process.env.ECOM_SQL_TRACE !== "0" ? createSqlTrace() : undefined;

/** A trace of its own (tests; the process's is {@link sqlTrace}). */
export function createSqlTrace(): SqlTrace {
  const counts = new Map<
    string,
    { store: string; sql: string; runs: number; autocommitWrites: number; micros: number }
  >();
  const timed = <T>(store: string, sql: string, writing: boolean, inTransaction: boolean, run: () => T): T => {
    const key = `${store}\u0000${sql}`;
    let entry = counts.get(key);
    if (!entry) {
      entry = { store, sql, runs: 0, autocommitWrites: 0, micros: 0 };
      counts.set(key, entry);
    }
    entry.runs++;
    if (writing && !inTransaction) entry.autocommitWrites++;
    const started = performance.now();
    try {
      return run();
    } finally {
      entry.micros += (performance.now() - started) * 1000;
    }
  };
  return {
    wrap(store, sql, statement, inTransaction) {
      // A transaction's own statements are counted, not looked at: `begin` is how transactions are counted.
      // better-sqlite3 calls a statement that returns rows a reader, `insert … returning` and `update … returning`
      // included: those write too, so the SQL's verb decides first.
      const writing =
        /^\s*(insert|update|delete|replace)\b/i.test(sql) ||
        (!statement.reader && !/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(sql));
      return {
        get reader() {
          return statement.reader;
        },
        all(parameters) {
          return timed(store, sql, writing, inTransaction(), () => statement.all(parameters));
        },
        run(parameters) {
          return timed(store, sql, writing, inTransaction(), () => statement.run(parameters));
        },
        iterate(parameters) {
          // An iterator's rows are stepped later, by its reader: only its start is timed.
          return timed(store, sql, writing, inTransaction(), () => statement.iterate(parameters));
        },
      };
    },
    entries() {
      return [...counts.values()].map((entry) => ({ ...entry })).sort((a, b) => b.runs - a.runs);
    },
    reset() {
      counts.clear();
    },
  };
}
