import { Kysely, type Migration } from "kysely";
import { afterAll, beforeAll } from "vitest";
import { migrate, openSqliteStore } from "../../packages/simulator/src/sqlite-store.js";
import { createStoreDialect, createStorePool } from "../../packages/simulator/src/store/postgres-dialect.js";
import type { Backend } from "./backends.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "./test-database.js";

/**
 * One context's store, migrated, on either backend, for tests of a context's SQL: on `embedded` an in-memory SQLite
 * store as the simulator opens it, on `postgres+nats` a schema named for the context in the test file's database
 * (`database`), reached through the store's PostgreSQL dialect with that schema as the search path, as a context's
 * role sees its own. Connected as the test's superuser, which also stands in for the bootstrap: it creates the
 * `unaccent` extension in a shared `extensions` schema, as search's full-text index expects.
 */
export interface ContextStore<TDatabase> {
  readonly db: Kysely<TDatabase>;
  close(): Promise<void>;
}

/** Open and migrate `context`'s store on `backend`. */
export async function openContextStore<TDatabase>(
  backend: Backend,
  context: { readonly name: string; readonly migrations: Readonly<Record<string, Migration>> },
  database?: TestDatabase,
): Promise<ContextStore<TDatabase>> {
  if (backend.kind === "embedded") {
    const store = openSqliteStore<TDatabase>(":memory:");
    await migrate(store.db as Kysely<unknown>, context.migrations, { label: context.name, table: "_migrations" });
    return { db: store.db, close: () => store.close() };
  }
  if (database === undefined) throw new Error("a PostgreSQL store needs the test file's database (createTestDatabase)");
  await withAdminClient(async (client) => {
    await client.query(`create schema if not exists extensions`);
    await client.query(`create extension if not exists unaccent schema extensions`);
    await client.query(`create schema "${context.name}"`);
  }, database.url);
  const url = new URL(database.url);
  url.searchParams.set("options", `-c search_path=${context.name}`);
  const db = new Kysely<TDatabase>({
    dialect: createStoreDialect(createStorePool({ url: url.toString(), max: 2 })),
  });
  await migrate(db as Kysely<unknown>, context.migrations, { label: context.name, table: "_migrations" });
  return { db, close: () => db.destroy() };
}

/**
 * `context`'s store on `backend` for the tests of one `describeBackends` block: opened before them (on PostgreSQL in
 * a database of their own) and closed, the database dropped, after them. Its `db` and `database` are read in tests
 * and hooks, once it is open.
 */
export function useContextStore<TDatabase>(
  backend: Backend,
  context: { readonly name: string; readonly migrations: Readonly<Record<string, Migration>> },
): { readonly db: Kysely<TDatabase>; readonly database: TestDatabase | undefined } {
  let database: TestDatabase | undefined;
  let store: ContextStore<TDatabase> | undefined;
  beforeAll(async () => {
    if (backend.kind === "postgres+nats") database = await createTestDatabase();
    store = await openContextStore<TDatabase>(backend, context, database);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });
  return {
    get db() {
      if (!store) throw new Error(`${context.name}'s test store is not open yet: read it in a test or a hook`);
      return store.db;
    },
    get database() {
      return database;
    },
  };
}
