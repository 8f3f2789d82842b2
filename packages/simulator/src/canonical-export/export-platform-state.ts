import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { type Kysely, Kysely as KyselyDatabase, SqliteDialect, sql } from "kysely";
import { type CanonicalExport, type CanonicalRow, canonicalExport } from "./canonical-export.js";
import { CANONICAL_TABLES } from "./canonical-tables.js";

/** Where a platform keeps its state: a data folder (the embedded default) or a PostgreSQL database. */
export type PlatformState =
  | { readonly dataDir: string }
  | {
      /** `postgres://user@host:port/database`, as the user the platform was started with. */
      readonly storeUrl: string;
      /** The namespace the platform was started with (`--namespace`); the database's name when absent. */
      readonly namespace?: string;
    };

const CONTEXTS = CANONICAL_TABLES.map(([context]) => context);

/**
 * The canonical export (canonical-export.ts) of a platform's state, read with one query per table through Kysely on
 * either backend: each SQLite file of a data folder opened read-only, or each context's schema of a PostgreSQL
 * database as the context's own role. A running platform may be read; the export is then of each table at the moment
 * it is read, so let the platform settle first.
 */
export async function exportPlatformState(state: PlatformState): Promise<CanonicalExport> {
  const stores = "dataDir" in state ? openDataFolderStores(state.dataDir) : await openPostgresStores(state);
  try {
    return await canonicalExport(async (context, table) => {
      const db = stores.of(context);
      try {
        return (await sql<CanonicalRow>`select * from ${sql.table(table)}`.execute(db)).rows;
      } catch (error) {
        throw new Error(`reading ${context}.${table} from ${stores.where} failed: ${(error as Error).message}`);
      }
    });
  } finally {
    await stores.close();
  }
}

interface OpenStores {
  /** The stores' place, as error messages name it. */
  readonly where: string;
  of(context: string): Kysely<unknown>;
  close(): Promise<void>;
}

function openDataFolderStores(dataDir: string): OpenStores {
  const dir = resolve(dataDir);
  const missing = CONTEXTS.filter((context) => !existsSync(join(dir, `${context}.db`)));
  if (missing.length > 0)
    throw new Error(
      `${dir} is not a data folder of every context (no ${missing.map((context) => `${context}.db`).join(", ")})`,
    );
  const opened = new Map(
    CONTEXTS.map((context) => [
      context,
      new KyselyDatabase<unknown>({
        dialect: new SqliteDialect({
          database: new Database(join(dir, `${context}.db`), { readonly: true, fileMustExist: true }),
        }),
      }),
    ]),
  );
  return {
    where: `the data folder ${dir}`,
    of: (context) => opened.get(context)!,
    close: async () => {
      await Promise.all([...opened.values()].map((db) => db.destroy()));
    },
  };
}

/**
 * The contexts' stores of a PostgreSQL database, each logged in as its role. The database must hold a platform
 * already (its `platform` schema): the bootstrap that finds the roles would otherwise make them in an empty one.
 */
async function openPostgresStores(state: { readonly storeUrl: string; readonly namespace?: string }) {
  const [{ findPostgresLayout, PLATFORM_SCHEMA }, { createStorePool }, { openPostgresStore }, { databaseOf }] =
    await Promise.all([
      import("../store/postgres-bootstrap.js"),
      import("../store/postgres-dialect.js"),
      import("../store/postgres-store.js"),
      import("../store/store-namespace.js"),
    ]);
  const where = `the database ${databaseOf(state.storeUrl)}`;
  const admin = createStorePool({ url: state.storeUrl, max: 1 });
  try {
    const found = await admin.query("select 1 from pg_namespace where nspname = $1", [PLATFORM_SCHEMA]);
    if (found.rowCount === 0)
      throw new Error(`${where} holds no platform (no schema ${PLATFORM_SCHEMA}): start one with --store first`);
  } finally {
    await admin.end();
  }
  const layout = await findPostgresLayout({
    url: state.storeUrl,
    ...(state.namespace === undefined ? {} : { namespace: state.namespace }),
    schemas: CONTEXTS,
  });
  const opened = new Map(
    CONTEXTS.map((context) => [
      context,
      openPostgresStore<unknown>(layout, context, { url: state.storeUrl, poolSize: 1 }),
    ]),
  );
  return {
    where,
    of: (context: string) => opened.get(context)!.db,
    close: async () => {
      await Promise.all([...opened.values()].map((store) => store.close()));
    },
  } satisfies OpenStores;
}
