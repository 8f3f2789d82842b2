import { AsyncResource } from "node:async_hooks";
import {
  type AccessMode,
  type IsolationLevel,
  Kysely,
  type KyselyConfig,
  type Transaction,
  type TransactionBuilder,
} from "kysely";

/** Work to do once a transaction has committed: kick a relay, wake a waiter. */
export type AfterCommitHook = () => void | Promise<void>;

/**
 * The hooks of every transaction still open on a {@link HookedKysely} or a SQLite store's Kysely
 * (store/sqlite-kysely.ts), by the transaction object its callback was given. Weak, so an abandoned transaction
 * object keeps nothing alive; the entry goes when the transaction ends.
 */
const openTransactions = new WeakMap<object, AfterCommitHook[]>();

/**
 * Run `hook` after `trx` commits, after the hooks registered before it, and never if it rolls back. The
 * transaction's `execute()` resolves only once its hooks have run, so whoever awaits the transaction (an RPC handler
 * about to reply) knows they have. `trx` must be the very object a hooked transaction's callback was given (a
 * {@link HookedKysely}'s or a SQLite store's), while that callback runs: a derived one (`trx.withPlugin`,
 * `withSchema`, `withTables`), a controlled transaction (`startTransaction`) or one of a plain Kysely takes no hooks,
 * and this throws rather than drop the work.
 */
export function afterCommit<TDatabase>(trx: Transaction<TDatabase>, hook: AfterCommitHook): void {
  const hooks = openTransactions.get(trx);
  if (!hooks) {
    throw new Error(
      "afterCommit needs an open transaction of a hooked store, the one its transaction() callback was given " +
        "(not one derived by withPlugin/withSchema/withTables, a startTransaction(), or one that has ended)",
    );
  }
  // Run in the async context of the code that registered it (its trace span, as a next-turn callback would). Not
  // AsyncResource.bind, which is the same resource and call but defines a deprecated property on every bound function
  // (about 20 µs each on Node 20: 1.5 % of a checkout's CPU, for its dozen hooks).
  const resource = new AsyncResource("ecom.afterCommit");
  hooks.push(() => resource.runInAsyncScope(hook));
}

/** How a {@link HookedKysely} is opened: Kysely's own settings, and where a hook's failure is told. */
export interface HookedKyselyConfig extends KyselyConfig {
  /**
   * Told of a hook that threw: the transaction had committed, so the failure is not the caller's (default: a
   * line on stderr).
   */
  readonly onHookError?: ((error: unknown) => void) | undefined;
}

/** Where a hook's failure is told when nobody said: a line on stderr. */
export function reportHookError(error: unknown): void {
  process.stderr.write(`error: an after-commit hook failed: ${String(error)}\n`);
}

/**
 * A Kysely whose `transaction()` lets the work inside register after-commit hooks ({@link afterCommit}). It wraps
 * Kysely's own transaction runner and adds nothing to the SQL, so it works over any dialect (SQLite, PostgreSQL):
 * "the next turn of the event loop runs after the commit" holds only on one connection, an explicit hook on any.
 *
 * Hooks run one at a time, in the order they were registered, after COMMIT and after the connection went back to
 * the pool (so a hook may use the store again; on SQLite's one connection it must), and `execute()` resolves
 * when the last has finished. A hook that throws is reported to `onHookError` and the rest still run: the commit
 * happened, and the caller's result stands. On rollback no hook runs. Kysely has no nested `transaction()` (a
 * Transaction refuses it) and keeps savepoints to controlled transactions, which take no hooks.
 */
export class HookedKysely<TDatabase> extends Kysely<TDatabase> {
  readonly #onHookError: (error: unknown) => void;

  constructor(config: HookedKyselyConfig) {
    const { onHookError, ...kysely } = config;
    super(kysely);
    this.#onHookError = onHookError ?? reportHookError;
  }

  override transaction(): TransactionBuilder<TDatabase> {
    return withHooks(super.transaction(), this.#onHookError);
  }
}

/** What runs a transaction's callback between `begin` and `commit` (rolling back when it throws). */
export type TransactionRunner<TDatabase> = <TResult>(
  callback: (trx: Transaction<TDatabase>) => Promise<TResult>,
) => Promise<TResult>;

/**
 * `builder`, its `execute` running the transaction's hooks after it commits. Kysely's builder keeps its settings in
 * a private field, so it cannot be subclassed from outside: its methods are wrapped instead, on this fresh instance.
 * With `run`, the transaction runs there instead of through the builder's own `execute` (a SQLite store's runner,
 * store/sqlite-kysely.ts, which takes no isolation level or access mode: SQLite has neither).
 */
export function withHooks<TDatabase>(
  builder: TransactionBuilder<TDatabase>,
  onHookError: (error: unknown) => void,
  run?: TransactionRunner<TDatabase>,
): TransactionBuilder<TDatabase> {
  const execute: TransactionRunner<TDatabase> = run ?? builder.execute.bind(builder);
  const setAccessMode = builder.setAccessMode.bind(builder);
  const setIsolationLevel = builder.setIsolationLevel.bind(builder);
  return Object.assign(builder, {
    setAccessMode: (accessMode: AccessMode) => withHooks(setAccessMode(accessMode), onHookError, run),
    setIsolationLevel: (isolationLevel: IsolationLevel) =>
      withHooks(setIsolationLevel(isolationLevel), onHookError, run),
    async execute<TResult>(callback: (trx: Transaction<TDatabase>) => Promise<TResult>): Promise<TResult> {
      const hooks: AfterCommitHook[] = [];
      let open: Transaction<TDatabase> | undefined;
      let result: TResult;
      try {
        result = await execute((trx) => {
          open = trx;
          openTransactions.set(trx, hooks);
          return callback(trx);
        });
      } finally {
        // Committed or rolled back, the transaction takes no more hooks.
        if (open) openTransactions.delete(open);
      }
      for (const hook of hooks) {
        try {
          await hook();
        } catch (error) {
          onHookError(error);
        }
      }
      return result;
    },
  });
}
