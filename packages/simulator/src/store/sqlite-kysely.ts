import {
  type CompiledQuery,
  type ConnectionProvider,
  type DatabaseConnection,
  DefaultConnectionProvider,
  DefaultQueryExecutor,
  type DialectAdapter,
  Kysely,
  type KyselyProps,
  type QueryCompiler,
  type QueryResult,
  type SqliteDatabase,
  Transaction,
  type TransactionBuilder,
} from "kysely";
import { GroupCommit } from "./group-commit.js";
import { reportHookError, withHooks } from "./hooked-kysely.js";
import { ConnectionLock, createSqliteConnection, createSqliteDriver, runQuery } from "./sqlite-connection.js";
import { TransactionalSqliteDialect } from "./transactional-sqlite-dialect.js";

/** A SQLite store's Kysely and the lock on its one connection, which every query, transaction and `exclusive` takes. */
export interface SqliteKysely<TDatabase> {
  readonly db: Kysely<TDatabase>;
  readonly lock: ConnectionLock;
  /** The store's group commit, when its transactions commit in groups ({@link GroupCommit}). */
  readonly group: GroupCommit | undefined;
}

/**
 * The Kysely of a SQLite store (one connection): the same query builder, transactions and after-commit hooks
 * (store/hooked-kysely.ts) as a PostgreSQL store's, run through fewer layers. Kysely's path for each statement is
 * an executor, a connection provider, the driver's mutex and several promises each; in a transaction, one more
 * executor made per statement. Here a statement outside a transaction takes the connection's lock (at once when
 * it is free) and runs; one inside runs on the connection its transaction holds, after checking that the
 * transaction is still open (as Kysely's executor does); a transaction takes the lock, runs `begin`, its callback
 * and `commit` (or `rollback`) as statements prepared once, and releases the lock. better-sqlite3 runs each
 * statement synchronously, so nothing can come between a statement and its connection.
 */
export function createSqliteKysely<TDatabase>(
  database: SqliteDatabase,
  options: {
    /** Whether a transaction is open on the connection (better-sqlite3's `inTransaction`). */
    readonly inTransaction: () => boolean;
    readonly onHookError?: ((error: unknown) => void) | undefined;
    /** Commit the transactions that end in one turn of the event loop together ({@link GroupCommit}). */
    readonly groupCommit?: boolean | undefined;
  },
): SqliteKysely<TDatabase> {
  const lock = new ConnectionLock();
  const run = (sql: string) => {
    database.prepare(sql).run([]);
  };
  const group = options.groupCommit ? new GroupCommit({ run, lock, inTransaction: options.inTransaction }) : undefined;
  const connection = createSqliteConnection(database);
  const driver = createSqliteDriver({ database, connection, lock, inTransaction: options.inTransaction, group });
  const dialect = new TransactionalSqliteDialect(driver);
  const compiler = dialect.createQueryCompiler();
  const adapter = dialect.createAdapter();
  const props: KyselyProps = {
    config: { dialect },
    driver,
    dialect,
    executor: new StoreExecutor(compiler, adapter, new DefaultConnectionProvider(driver), { database, lock, group }),
  };
  const transaction = async <TResult>(callback: (trx: Transaction<TDatabase>) => Promise<TResult>) => {
    await lock.take();
    const state: TransactionState = { status: "active" };
    const executor = new TransactionExecutor(compiler, adapter, { database, connection, state });
    const trx = new Transaction<TDatabase>({ ...props, executor });
    if (group) return grouped(group, () => callback(trx), state);
    try {
      run("begin");
      try {
        const result = await callback(trx);
        run("commit");
        state.status = "committed";
        return result;
      } catch (error) {
        // A commit that failed may have ended the transaction already (SQLite rolls back on some errors by itself).
        if (options.inTransaction()) run("rollback");
        state.status = "rolled back";
        throw error;
      }
    } finally {
      lock.release();
    }
  };
  const grouped = async <TResult>(group: GroupCommit, work: () => Promise<TResult>, state: TransactionState) => {
    let outcome: { readonly committed: Promise<TResult> };
    try {
      outcome = await group.transaction(work);
      state.status = "committed";
    } catch (error) {
      state.status = "rolled back";
      throw error;
    } finally {
      lock.release();
    }
    // The group's commit takes the lock: awaited once it is released.
    return await outcome.committed;
  };
  const db = new SqliteStoreKysely<TDatabase>(props, transaction, options.onHookError ?? reportHookError);
  return { db, lock, group };
}

/** A SQLite store's Kysely: `transaction()` runs through the store's own runner, with after-commit hooks. */
class SqliteStoreKysely<TDatabase> extends Kysely<TDatabase> {
  readonly #run: <TResult>(callback: (trx: Transaction<TDatabase>) => Promise<TResult>) => Promise<TResult>;
  readonly #onHookError: (error: unknown) => void;

  constructor(
    props: KyselyProps,
    run: <TResult>(callback: (trx: Transaction<TDatabase>) => Promise<TResult>) => Promise<TResult>,
    onHookError: (error: unknown) => void,
  ) {
    super(props);
    this.#run = run;
    this.#onHookError = onHookError;
  }

  override transaction(): TransactionBuilder<TDatabase> {
    return withHooks(super.transaction(), this.#onHookError, this.#run);
  }
}

/**
 * The store's executor: a query runs under the connection's lock, synchronously once the lock is held. It has no
 * plugins (a `withPlugin` of it is Kysely's own executor, through the driver, so the lock still holds).
 */
class StoreExecutor extends DefaultQueryExecutor {
  readonly #store: StoreConnection;

  constructor(compiler: QueryCompiler, adapter: DialectAdapter, provider: ConnectionProvider, store: StoreConnection) {
    super(compiler, adapter, provider);
    this.#store = store;
  }

  override executeQuery<TRow>(query: CompiledQuery): Promise<QueryResult<TRow>> {
    const { database, lock, group } = this.#store;
    if (!group) return lock.run(() => runQuery<TRow>(database, query));
    // Run inside the open group, if any, and answered once it has committed.
    return lock.run(() => group.settled(runQuery<TRow>(database, query)));
  }
}

/** What the store's executor runs a statement on: the connection, its lock, and its group commit if it has one. */
interface StoreConnection {
  readonly database: SqliteDatabase;
  readonly lock: ConnectionLock;
  readonly group: GroupCommit | undefined;
}

/** Where a transaction is: only an active one runs statements (as Kysely's own transactions say). */
interface TransactionState {
  status: "active" | "committed" | "rolled back";
}

function assertActive(state: TransactionState): void {
  if (state.status === "committed") throw new Error("Transaction is already committed");
  if (state.status !== "active") throw new Error("Transaction is already rolled back");
}

/**
 * One transaction's executor: its statements run on the connection the transaction holds (no lock to take), each
 * after checking that the transaction is still active. Kysely's own runs each through a connection provider that
 * queues them, which a synchronous driver never needs; a stream (the one thing that holds the connection across
 * awaits) still goes through the provider.
 */
class TransactionExecutor extends DefaultQueryExecutor {
  readonly #transaction: { readonly database: SqliteDatabase; readonly state: TransactionState };

  constructor(
    compiler: QueryCompiler,
    adapter: DialectAdapter,
    transaction: {
      readonly database: SqliteDatabase;
      readonly connection: DatabaseConnection;
      readonly state: TransactionState;
    },
  ) {
    super(compiler, adapter, {
      provideConnection: async (consumer) => {
        assertActive(transaction.state);
        return await consumer(transaction.connection);
      },
    });
    this.#transaction = transaction;
  }

  override executeQuery<TRow>(query: CompiledQuery): Promise<QueryResult<TRow>> {
    try {
      assertActive(this.#transaction.state);
      return Promise.resolve(runQuery<TRow>(this.#transaction.database, query));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
