import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  SelectQueryNode,
  type SqliteDatabase,
} from "kysely";
import type { GroupCommit } from "./group-commit.js";

/**
 * The lock on a SQLite store's one connection: whoever holds it is alone on the connection (a transaction between
 * its `begin` and its `commit`, across its awaits) until it releases it. Waiters get it first come, first served,
 * each handed it by the one before, so nobody slips in between. Taking a free lock is synchronous, so a statement
 * that finds the connection free runs at once, in the turn it was asked for.
 */
export class ConnectionLock {
  #held = false;
  readonly #waiting: (() => void)[] = [];

  /** Whether someone holds the lock (or is being handed it). */
  get held(): boolean {
    return this.#held;
  }

  /** Take the lock: undefined when it was free and is now the caller's, else a promise of the moment it is. */
  take(): Promise<void> | undefined {
    if (!this.#held) {
      this.#held = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  /** Give the lock to the next waiter, or free it. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#held = false;
  }

  /**
   * Run synchronous `work` holding the lock: at once when it is free, else once it is handed over. The lock is
   * released as soon as `work` returns, before a promise it returns settles.
   */
  run<TResult>(work: () => TResult | PromiseLike<TResult>): Promise<TResult> {
    const waiting = this.take();
    if (waiting) return waiting.then(() => this.#runHeld(work));
    try {
      return Promise.resolve(this.#runHeld(work));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #runHeld<TResult>(work: () => TResult | PromiseLike<TResult>): TResult | PromiseLike<TResult> {
    try {
      return work();
    } finally {
      this.release();
    }
  }
}

/** Run `query` on `database` now (better-sqlite3 is synchronous), as Kysely's SQLite driver runs it. */
export function runQuery<TRow>(database: SqliteDatabase, query: CompiledQuery): QueryResult<TRow> {
  const statement = database.prepare(query.sql);
  if (statement.reader) return { rows: statement.all(query.parameters) as TRow[] };
  const { changes, lastInsertRowid } = statement.run(query.parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/**
 * A SQLite store's one connection as Kysely's `DatabaseConnection`: `runQuery`, and streaming a select row by row
 * (as Kysely's SQLite driver does).
 */
export function createSqliteConnection(database: SqliteDatabase): DatabaseConnection {
  return {
    executeQuery: <TRow>(query: CompiledQuery) => {
      try {
        return Promise.resolve(runQuery<TRow>(database, query));
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async *streamQuery<TRow>(query: CompiledQuery) {
      if (!SelectQueryNode.is(query.query)) throw new Error("Sqlite driver only supports streaming of select queries");
      for (const row of database.prepare(query.sql).iterate(query.parameters)) yield { rows: [row as TRow] };
    },
  };
}

/**
 * Kysely's driver of a SQLite store: its one connection behind {@link ConnectionLock} (the very lock the store's
 * transactions and `exclusive` take, so all of them queue on one), and `begin`, `commit` and `rollback` run as
 * statements prepared once instead of a query compiled at each transaction. Savepoints are only for Kysely's
 * controlled transactions (`startTransaction`), which the platform does not use: they are compiled as Kysely's are.
 */
export function createSqliteDriver(options: {
  readonly database: SqliteDatabase;
  readonly connection: DatabaseConnection;
  readonly lock: ConnectionLock;
  /** Whether a transaction is open on the connection (better-sqlite3's `inTransaction`). */
  readonly inTransaction: () => boolean;
  /** The store's group commit, committed before Kysely's own use of the connection (a stream, a controlled transaction). */
  readonly group?: GroupCommit | undefined;
}): Driver {
  const { database, connection, lock, group } = options;
  const run = (sql: string) => {
    database.prepare(sql).run([]);
  };
  const savepoint = (command: string) => async (_connection: DatabaseConnection, name: string) => {
    await connection.executeQuery(CompiledQuery.raw(`${command} "${name.replaceAll('"', '""')}"`));
  };
  return {
    async init() {},
    async acquireConnection() {
      await lock.take();
      try {
        group?.commitNow();
      } catch (error) {
        lock.release();
        throw error;
      }
      return connection;
    },
    async releaseConnection() {
      lock.release();
    },
    async beginTransaction() {
      run("begin");
    },
    async commitTransaction() {
      run("commit");
    },
    async rollbackTransaction() {
      // A commit that failed may have ended the transaction already (SQLite rolls back on some errors by itself).
      if (options.inTransaction()) run("rollback");
    },
    savepoint: savepoint("savepoint"),
    rollbackToSavepoint: savepoint("rollback to"),
    releaseSavepoint: savepoint("release"),
    async destroy() {
      // A group still open commits first, unless a transaction is part way through it (the close interrupts that one).
      if (!lock.held) group?.commitNow();
      group?.abandon(new Error("the store was closed before its transaction committed"));
      database.close();
    },
  };
}
