import type { ConnectionLock } from "./sqlite-connection.js";

/**
 * Group commit on a SQLite store's one connection: the transactions that end in one turn of the event loop commit
 * together, in one SQLite transaction, on the next. Each runs inside a savepoint of it, so one that fails rolls back
 * alone, and each is answered only once the whole group has committed, so whatever a caller is told is durable,
 * as before. A commit writes every page it changed whole to the WAL (two write calls a page): the orders of a dozen
 * checkouts served side by side share a few pages, which one commit writes once where a dozen wrote them a dozen
 * times.
 *
 * A statement run outside a transaction while a group is open runs inside it (the connection has one transaction
 * at a time); it too is answered once the group has committed, read or write, so nothing is told of a change that
 * could still be lost.
 */
export class GroupCommit {
  readonly #run: (sql: string) => void;
  readonly #lock: ConnectionLock;
  readonly #inTransaction: () => boolean;
  /** The group open on the connection (begun, not yet committed): settled once it has committed or failed. */
  #open: Group | undefined;

  constructor(options: {
    readonly run: (sql: string) => void;
    readonly lock: ConnectionLock;
    /** Whether a transaction is open on the connection (better-sqlite3's `inTransaction`). */
    readonly inTransaction: () => boolean;
  }) {
    this.#run = options.run;
    this.#lock = options.lock;
    this.#inTransaction = options.inTransaction;
  }

  /** Whether a group is open: statements run now run inside it. */
  get open(): boolean {
    return this.#open !== undefined;
  }

  /**
   * Run `work` as one transaction of the open group (beginning one when none is); the caller holds the connection's
   * lock until this resolves. Its changes are kept when it returns and rolled back when it throws. Resolves to
   * `committed`, what `work` returned once the group has committed: to await after releasing the lock, which the
   * group's commit takes.
   */
  async transaction<TResult>(work: () => Promise<TResult>): Promise<{ readonly committed: Promise<TResult> }> {
    const group = this.#enter();
    let result: TResult;
    try {
      result = await work();
    } catch (error) {
      this.#discard(error);
      throw error;
    }
    this.#run("release grouped");
    return { committed: group.committed.then(() => result) };
  }

  /** {@link GroupCommit.transaction} of synchronous `work`: the lock can be released as soon as this returns. */
  transactionNow<TResult>(work: () => TResult): Promise<TResult> {
    const group = this.#enter();
    let result: TResult;
    try {
      result = work();
    } catch (error) {
      this.#discard(error);
      throw error;
    }
    this.#run("release grouped");
    return group.committed.then(() => result);
  }

  /** `result`, once the open group (if any) has committed: for a statement run outside a transaction. */
  settled<TResult>(result: TResult): TResult | Promise<TResult> {
    const group = this.#open;
    return group ? group.committed.then(() => result) : result;
  }

  /** Commit the open group now (the caller holds the lock): before a transaction that is not grouped, or a close. */
  commitNow(): void {
    const group = this.#open;
    if (!group) return;
    this.#open = undefined;
    try {
      this.#run("commit");
      group.resolve();
    } catch (error) {
      if (this.#inTransaction()) this.#run("rollback");
      group.reject(error);
      throw error;
    }
  }

  /** Fail the open group, if any, with `error`: its store is closing while a transaction of it is under way. */
  abandon(error: Error): void {
    const group = this.#open;
    this.#open = undefined;
    group?.reject(error);
  }

  /** Open a savepoint in the open group, beginning one (and asking for its commit next turn) when none is. */
  #enter(): Group {
    let group = this.#open;
    if (!group) {
      this.#run("begin");
      group = newGroup();
      this.#open = group;
      const begun = group;
      setImmediate(() => void this.#commitWhenFree(begun));
    }
    this.#run("savepoint grouped");
    return group;
  }

  /** A grouped transaction failed: roll it back alone, or, when SQLite ended the whole transaction, fail the group. */
  #discard(error: unknown): void {
    if (this.#inTransaction()) {
      this.#run("rollback to grouped");
      this.#run("release grouped");
      return;
    }
    const group = this.#open;
    this.#open = undefined;
    group?.reject(error);
  }

  /** Take the lock after whoever asked for it first, and commit `group` unless someone already has. */
  async #commitWhenFree(group: Group): Promise<void> {
    await this.#lock.take();
    try {
      if (this.#open === group) this.commitNow();
    } catch {
      // Told to every transaction of the group, through its promise.
    } finally {
      this.#lock.release();
    }
  }
}

interface Group {
  readonly committed: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

function newGroup(): Group {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const committed = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  // A group nobody waits on (its transactions all failed) must not be an unhandled rejection.
  committed.catch(() => {});
  return { committed, resolve, reject };
}
