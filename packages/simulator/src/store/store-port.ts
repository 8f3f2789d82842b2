import type { Kysely } from "kysely";
import type { SqliteStore } from "../sqlite-store.js";

/** Which database a store runs on: the embedded default (one SQLite file per context) or PostgreSQL. */
export type StoreDialectName = "sqlite" | "postgres";

/** What every store gives the platform, whatever its backend: the query layer the contexts use, and a way to close. */
interface StoreBase<TDatabase> {
  readonly dialect: StoreDialectName;
  /** The context's tables (and the runtime's: outbox, cursor, dead letters) behind Kysely. */
  readonly db: Kysely<TDatabase>;
  /** Close the store's connection(s); queries after it fail. */
  close(): Promise<void>;
}

/**
 * A SQLite store: one connection, which is what makes its extras possible. `prepare` and `exclusive` are the
 * runtime's fast path around the query builder, and rely on holding the store's only connection; `checkpoint` folds
 * the WAL into the file; `serialize` copies the whole database (seed snapshots).
 */
export interface EmbeddedStore<TDatabase> extends StoreBase<TDatabase>, SqliteStore<TDatabase> {
  readonly dialect: "sqlite";
}

/**
 * A PostgreSQL store: a pool of connections logged in as the context's own role, whose `search_path` is the
 * context's schema, so its unqualified table names are its own and every other context's schema is refused (42501).
 *
 * It has none of {@link EmbeddedStore}'s extras, on purpose: with a pool there is no one connection to hold, so
 * `prepare` and `exclusive` have nothing to mean (the runtime's statements go through `db`, in a transaction of `db`
 * where it needs one); the server checkpoints on its own; and a database is copied with `CREATE DATABASE … TEMPLATE`,
 * not by the process, so there are no seed snapshots (a start on an empty database seeds).
 */
export interface PostgresStore<TDatabase> extends StoreBase<TDatabase> {
  readonly dialect: "postgres";
  /** The role the pool logs in as (`<namespace>_<context>`). */
  readonly role: string;
  /** The schema holding the context's tables (the context's name, or `platform`). */
  readonly schema: string;
}

/** A context's store on either backend: branch on `dialect` for the SQLite-only extras. */
export type Store<TDatabase> = EmbeddedStore<TDatabase> | PostgresStore<TDatabase>;

/** Today's SQLite store as a {@link Store}: the same object's methods, marked with its dialect. */
export function embeddedStore<TDatabase>(store: SqliteStore<TDatabase>): EmbeddedStore<TDatabase> {
  return { ...store, dialect: "sqlite" };
}

/** Whether a store is SQLite's, with the one-connection extras (`prepare`, `exclusive`, `checkpoint`, `serialize`). */
export function isEmbeddedStore<TDatabase>(store: Store<TDatabase>): store is EmbeddedStore<TDatabase> {
  return store.dialect === "sqlite";
}
