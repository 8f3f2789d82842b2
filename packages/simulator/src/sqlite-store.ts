import { basename } from "node:path";
import Database from "better-sqlite3";
import { type Compilable, type Generated, type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";
import { outboxPackedEnvelopes, outboxWithoutAutoincrement, outboxWithoutEventIdIndex } from "./outbox-migrations.js";
import { sqlTrace } from "./sql-trace.js";
import { createStatementCache } from "./statement-cache.js";
import { createSqliteKysely } from "./store/sqlite-kysely.js";

/** The size a WAL file is cut back to when it starts over after a complete checkpoint. */
export const WAL_SIZE_LIMIT = 4 * 1024 * 1024;

/**
 * The page size of a database made now (SQLite's default is 4096). A commit writes each page it changed whole to the
 * WAL, and a checkout's commits change a few rows on each of about nine pages: at 2048, a checkout writes 40 % less
 * (about 640 → 385 kB) and costs 3–7 % less CPU, for about 0.4 kB more kept (rows of 600 bytes and more, as a saga's
 * or an order's, fill a smaller page less well); at 1024 such rows spill to overflow pages (1.6 kB more kept).
 * Stores made before keep the size they were made with.
 */
export const PAGE_SIZE = 2048;

/**
 * A query Kysely compiled once, prepared once, and run with each call's parameters, in the order the query binds
 * them (Kysely binds in clause order); a reading one returns rows of `TRow`.
 */
export interface PreparedStatement<TRow> {
  all(...parameters: readonly unknown[]): TRow[];
  run(...parameters: readonly unknown[]): void;
  /** Run an insert; the rowid SQLite gave the (last) row it inserted, without a RETURNING clause's cost. */
  insert(...parameters: readonly unknown[]): number;
  /** Run an insert that may skip its row (`on conflict do nothing`): the row's rowid, or undefined when it was skipped. */
  insertIfNew(...parameters: readonly unknown[]): number | undefined;
}

/** An open SQLite database behind Kysely, the async query layer that also speaks PostgreSQL. */
export interface SqliteStore<TDatabase> {
  readonly db: Kysely<TDatabase>;
  /**
   * One of the runtime's own hot statements (outbox, relay, log, cursor): built with `db` and compiled once, here,
   * then run without the query builder, whose building and compiling cost more than SQLite's running of such a
   * statement. `parameters` are the values `query` was built with, in the order it binds them: checked here, they
   * give the order of each run's parameters. Run it only while the connection is held — inside a transaction of
   * `db`, or in {@link SqliteStore.exclusive} — or it would land in whatever transaction of `db` is open at the time.
   */
  prepare<TRow>(query: Compilable<TRow>, parameters: readonly unknown[]): PreparedStatement<TRow>;
  /**
   * Run `work` (synchronous, with prepared statements) while holding the connection, so no query of `db` interleaves;
   * with `transaction`, between `begin` and `commit` (rolled back when it throws).
   */
  exclusive<TResult>(work: () => TResult, options?: { readonly transaction?: boolean }): Promise<TResult>;
  /** Run a passive WAL checkpoint now, on this connection (at close; while running, a worker does it). */
  checkpoint(): void;
  /** The whole database as one buffer, as SQLite would write its file (an in-memory store's seed snapshot). */
  serialize(): Buffer;
  close(): Promise<void>;
}

/**
 * Open one SQLite database (a file, or `:memory:`) with the settings the platform needs: WAL so readers never wait
 * for the writer, NORMAL sync (durable at checkpoints, and WAL survives a process crash), foreign keys, and automatic
 * checkpoints off, so no request pays for one (a worker thread does them: wal-checkpointer.ts); the WAL file is cut
 * back to {@link WAL_SIZE_LIMIT} when it starts over after a checkpoint, so it does not keep its largest size.
 * Statements are prepared once per SQL text ({@link createStatementCache}). A buffer (what `serialize` gave) opens
 * an in-memory copy of that database. Its Kysely takes after-commit hooks (store/hooked-kysely.ts); a hook that
 * throws is told to `onHookError`.
 */
export function openSqliteStore<TDatabase>(
  file: string | Buffer,
  options: {
    readonly onHookError?: ((error: unknown) => void) | undefined;
    /**
     * Commit the transactions that end in one turn of the event loop together (store/group-commit.ts): a context's
     * store, written by many requests side by side. The event log groups its appends itself.
     */
    readonly groupCommit?: boolean | undefined;
  } = {},
): SqliteStore<TDatabase> {
  const database = new Database(file);
  // Before anything is written: a database that exists keeps the page size it was made with (this does nothing).
  database.pragma(`page_size = ${PAGE_SIZE}`);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  database.pragma("wal_autocheckpoint = 0");
  database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  const trace = sqlTrace && { trace: sqlTrace, store: typeof file === "string" ? basename(file, ".db") : ":memory:" };
  const statements = createStatementCache(database, { trace });
  const { db, lock, group } = createSqliteKysely<TDatabase>(statements, {
    inTransaction: () => database.inTransaction,
    onHookError: options.onHookError,
    groupCommit: options.groupCommit,
  });
  /** Commit an open group before what must see the file as committed, unless a transaction is part way through. */
  const commitGroup = () => {
    if (!lock.held) group?.commitNow();
  };
  // Through the statement cache, so each is prepared once and the SQL trace counts it like Kysely's.
  const run = (sql: string) => statements.prepare(sql).run([]);
  return {
    db,
    prepare<TRow>(query: Compilable<TRow>, parameters: readonly unknown[]): PreparedStatement<TRow> {
      const { sql, parameters: bound } = query.compile();
      if (bound.length !== parameters.length || bound.some((value, index) => value !== parameters[index]))
        throw new Error(`${sql}: its parameters are ${JSON.stringify(bound)}, not ${JSON.stringify(parameters)}`);
      return {
        all: (...parameters) => statements.prepare(sql).all(parameters) as TRow[],
        run: (...parameters) => {
          statements.prepare(sql).run(parameters);
        },
        insert: (...parameters) => Number(statements.prepare(sql).run(parameters).lastInsertRowid),
        insertIfNew: (...parameters) => {
          const { changes, lastInsertRowid } = statements.prepare(sql).run(parameters);
          return changes === 0 ? undefined : Number(lastInsertRowid);
        },
      };
    },
    exclusive(work, options) {
      // The lock every query and transaction of `db` takes (store/sqlite-kysely.ts).
      if (group) return lock.run(() => (options?.transaction ? group.transactionNow(work) : group.settled(work())));
      if (!options?.transaction) return lock.run(work);
      return lock.run(() => {
        run("begin");
        try {
          const result = work();
          run("commit");
          return result;
        } catch (error) {
          if (database.inTransaction) run("rollback");
          throw error;
        }
      });
    },
    checkpoint() {
      if (!database.open) return;
      commitGroup();
      database.pragma("wal_checkpoint(PASSIVE)");
    },
    serialize() {
      commitGroup();
      return database.serialize();
    },
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Apply migrations in name order, recording them in `table` (the runtime's and the context's own are kept apart so
 * each set evolves alone). A failure throws, naming the migration. On both dialects the pending migrations and their
 * records run in one transaction (store/transactional-sqlite-dialect.ts), so a failure or a kill leaves none of them
 * applied: a migration's `up` is given that transaction and must not open one of its own.
 */
export async function migrate<TDatabase>(
  db: Kysely<TDatabase>,
  migrations: Readonly<Record<string, Migration>>,
  options: { readonly label: string; readonly table: string },
): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => ({ ...migrations }) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: options.table,
    migrationLockTableName: `${options.table}_lock`,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`migration ${failed} of ${options.label} failed: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The tables the runtime keeps in every context's store, beside the context's own: the outbox (events written in
 * the same transaction as the state change), the subscription cursor (how far in the log the subscriber has
 * handled, so redelivery changes nothing) and dead letters. Named with a leading underscore: the context's code never touches them.
 */
export const runtimeMigrations: Readonly<Record<string, Migration>> = {
  "0000_runtime": {
    async up(db) {
      await db.schema
        .createTable("_outbox")
        .addColumn("seq", "integer", (column) => column.primaryKey().autoIncrement())
        .addColumn("event_id", "text", (column) => column.notNull().unique())
        .addColumn("envelope", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("_inbox")
        .addColumn("event_id", "text", (column) => column.primaryKey())
        .addColumn("event_type", "text", (column) => column.notNull())
        .addColumn("processed_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("_cursor")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("seq", "integer", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("_dead_letter")
        .addColumn("event_id", "text", (column) => column.primaryKey())
        .addColumn("event_type", "text", (column) => column.notNull())
        .addColumn("error", "text", (column) => column.notNull())
        .addColumn("failed_at", "text", (column) => column.notNull())
        .execute();
    },
  },
  // The cursor, moved in the same transaction as the handlers run, says alone what a subscriber has handled (see
  // subscription-dispatcher.ts): a row per event repeated it, at two statements and about 100 bytes an event.
  "0001_cursor_replaces_inbox": {
    async up(db) {
      await db.schema.dropTable("_inbox").ifExists().execute();
    },
  },
  "0002_outbox_without_event_id_index": outboxWithoutEventIdIndex,
  "0003_outbox_packed_envelopes": outboxPackedEnvelopes,
  "0004_outbox_without_autoincrement": outboxWithoutAutoincrement,
};

/** The runtime's tables, for typed queries by the runtime (never by contexts). */
export interface RuntimeTables {
  _outbox: {
    seq: Generated<number>;
    event_id: string;
    /**
     * The envelope's JSON text; on SQLite under the embedded bus, packed as the event log keeps it (packed-envelope.ts)
     * since migration 0003, against the row's event id, its producer (the store's context) and `correlation_id`.
     */
    envelope: string | Buffer;
    /** Kept compact (compact-ids.ts) beside a packed envelope, which is read against it; null beside JSON text. */
    correlation_id: string | Buffer | null;
  };
  _cursor: { name: string; seq: number };
  _dead_letter: { event_id: string; event_type: string; error: string; failed_at: string };
}
