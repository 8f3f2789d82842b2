import { randomBytes } from "node:crypto";
import type { AnyContextModule } from "@ecom/services/platform";
import type { Kysely, Migration } from "kysely";
import { migrate, type RuntimeTables, runtimeMigrations } from "../sqlite-store.js";
import { HookedKysely } from "./hooked-kysely.js";
import {
  bootstrapPostgres,
  findPostgresLayout,
  PLATFORM_SCHEMA,
  type PostgresLayout,
  type PostgresRole,
} from "./postgres-bootstrap.js";
import { createStoreDialect, createStorePool, storePoolSize } from "./postgres-dialect.js";
import type { PostgresStore } from "./store-port.js";

/** The keys processes started on one database share, kept in `platform.secrets` (readable by the platform role only). */
export interface StoreSecrets {
  /** The HS256 key of customers' and admins' JWTs (a data folder's `secret` file on SQLite). */
  readonly jwt: Buffer;
  /** The HS256 key of the tokens contexts present to each other across processes. */
  readonly serviceToken: Buffer;
}

/** Every store of one platform on PostgreSQL, migrated, each logged in as its own role. */
export interface PostgresStores {
  readonly namespace: string;
  readonly database: string;
  /** The platform's own store (schema `platform`): the secrets, and the tables the composition keeps there. */
  readonly platform: PostgresStore<unknown>;
  /** Each context's store by context name, with the runtime's tables (outbox, cursor, dead letters) migrated. */
  readonly contexts: ReadonlyMap<string, PostgresStore<RuntimeTables>>;
  readonly secrets: StoreSecrets;
  /** Close every pool. */
  close(): Promise<void>;
}

/** How to open the platform's stores on PostgreSQL. */
export interface OpenPostgresStoresOptions {
  /** `postgres://user[:password]@host:port/database`, as a user that may create roles and schemas there. */
  readonly url: string;
  /** Names the roles (and the bus's stream and buckets); the database's name when absent. */
  readonly namespace?: string;
  /** The contexts to open and migrate (a process's subset, or `allContexts`). */
  readonly contexts: readonly AnyContextModule[];
  /** Connections per pool at most; `ECOM_STORE_POOL`, else 4, when absent. */
  readonly poolSize?: number;
  /** Told of an error on an idle pooled connection (the server restarted, or ended it); a stderr line when absent. */
  readonly onIdleError?: ((error: Error, store: string) => void) | undefined;
  /** Told of an after-commit hook that threw (hooked-kysely.ts); a line on stderr when absent. */
  readonly onHookError?: ((error: unknown) => void) | undefined;
}

/**
 * Open the platform's stores on PostgreSQL: bootstrap the database ({@link bootstrapPostgres}: a role and a schema
 * per context and for the platform), then open one pool per store logged in as its role, and migrate each as that
 * role — the runtime's tables (`_migrations_runtime`), then the context's own (`_migrations`), as on SQLite — and
 * read the shared secrets, made by whichever process came first. Every pool is closed again when a step fails.
 */
export async function openPostgresStores(options: OpenPostgresStoresOptions): Promise<PostgresStores> {
  const layout = await bootstrapPostgres({
    url: options.url,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    schemas: options.contexts.map((module) => module.name),
  });
  const opened: PostgresStore<unknown>[] = [];
  const open = <TDatabase>(schema: string): PostgresStore<TDatabase> => {
    const store = openPostgresStore<TDatabase>(layout, schema, options);
    opened.push(store as PostgresStore<unknown>);
    return store;
  };
  try {
    const platform = open<unknown>(PLATFORM_SCHEMA);
    await migrate(platform.db, platformStoreMigrations, { label: "the platform store", table: "_migrations_store" });
    const secrets = await readSecrets(platform.db as Kysely<SecretTables>);
    const contexts = new Map<string, PostgresStore<RuntimeTables>>();
    for (const module of options.contexts) {
      const store = open<RuntimeTables>(module.name);
      await migrateContextStore(store, module);
      contexts.set(module.name, store);
    }
    return {
      namespace: layout.namespace,
      database: layout.database,
      platform,
      contexts,
      secrets,
      close: () => closeAll(opened),
    };
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

/**
 * The platform's service-token key, for a process that serves no context (`ecom gateway`): the stores' layout is
 * found, never made ({@link findPostgresLayout}: a wrong `--namespace`, or a database no process started on, is
 * refused in one line instead of leaving stray roles and a key no process uses), then the key is read from
 * `platform.secrets` as the platform's role (made there if the processes have not got that far yet, as they do).
 */
export async function readServiceTokenKey(
  options: Pick<OpenPostgresStoresOptions, "url" | "namespace">,
): Promise<Buffer> {
  const layout = await findPostgresLayout({
    url: options.url,
    ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
    schemas: [],
  });
  const platform = openPostgresStore<unknown>(layout, PLATFORM_SCHEMA, { url: options.url, poolSize: 1 });
  try {
    await migrate(platform.db, platformStoreMigrations, { label: "the platform store", table: "_migrations_store" });
    return (await readSecrets(platform.db as Kysely<SecretTables>)).serviceToken;
  } finally {
    await platform.close();
  }
}

/**
 * One store's pool, logged in as its role (whose `search_path` is its schema), on the database a bootstrap prepared,
 * behind a Kysely whose transactions take after-commit hooks. Nothing is migrated here.
 */
export function openPostgresStore<TDatabase>(
  layout: PostgresLayout,
  schema: string,
  options: Pick<OpenPostgresStoresOptions, "url" | "poolSize" | "onIdleError" | "onHookError">,
): PostgresStore<TDatabase> {
  const store: PostgresRole | undefined = layout.stores.get(schema);
  if (!store)
    throw new Error(`the bootstrap made no store ${schema} (it made ${[...layout.stores.keys()].join(", ")})`);
  const pool = createStorePool({
    url: options.url,
    user: store.role,
    ...(store.password === undefined ? {} : { password: store.password }),
    max: options.poolSize ?? storePoolSize(),
    applicationName: `ecom ${store.role}`,
    ...(options.onIdleError === undefined
      ? {}
      : { onIdleError: (error: Error) => options.onIdleError?.(error, schema) }),
  });
  // Through HookedKysely, so transactions take after-commit hooks (runtime.afterCommit), as SQLite's stores do through
  // their own runner (store/sqlite-kysely.ts).
  const db: Kysely<TDatabase> = new HookedKysely<TDatabase>({
    dialect: createStoreDialect(pool),
    onHookError: options.onHookError,
  });
  return {
    dialect: "postgres",
    db,
    role: store.role,
    schema: store.schema,
    close: () => db.destroy(),
  };
}

/** Migrate a context's store as on SQLite: the runtime's tables first, then the context's own. */
export async function migrateContextStore<TDatabase>(
  store: PostgresStore<TDatabase>,
  module: Pick<AnyContextModule, "name" | "migrations">,
): Promise<void> {
  const db = store.db as Kysely<unknown>;
  await migrate(db, runtimeMigrations, { label: `${module.name} (runtime tables)`, table: "_migrations_runtime" });
  await migrate(db, module.migrations, { label: module.name, table: "_migrations" });
}

interface SecretTables {
  secrets: { name: string; value: Buffer };
}

/** The platform store's own tables on PostgreSQL (the composition adds its own beside them, under `_migrations`). */
const platformStoreMigrations: Readonly<Record<string, Migration>> = {
  "0001_secrets": {
    async up(db) {
      await db.schema
        .createTable("secrets")
        .addColumn("name", "text", (column) => column.primaryKey())
        .addColumn("value", "bytea", (column) => column.notNull())
        .execute();
    },
  },
};

/** The names the secrets are kept under. */
const SECRET_NAMES = { jwt: "jwt", serviceToken: "service-token" } as const;

/**
 * The shared secrets: each made at random by the first process to get here (`on conflict do nothing`), then read
 * back, so processes that start together all read the one that won.
 */
async function readSecrets(db: Kysely<SecretTables>): Promise<StoreSecrets> {
  const names = Object.values(SECRET_NAMES);
  await db
    .insertInto("secrets")
    .values(names.map((name) => ({ name, value: randomBytes(32) })))
    .onConflict((conflict) => conflict.column("name").doNothing())
    .execute();
  const rows = await db.selectFrom("secrets").select(["name", "value"]).where("name", "in", names).execute();
  const value = (name: string) => {
    const row = rows.find((candidate) => candidate.name === name);
    if (!row || row.value.length < 32) throw new Error(`platform.secrets has no usable ${name} key`);
    return row.value;
  };
  return { jwt: value(SECRET_NAMES.jwt), serviceToken: value(SECRET_NAMES.serviceToken) };
}

async function closeAll(stores: readonly PostgresStore<unknown>[]): Promise<void> {
  await Promise.allSettled(stores.map((store) => store.close()));
}
