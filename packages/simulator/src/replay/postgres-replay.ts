import type { AnyContextModule } from "@ecom/services/platform";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Kysely, sql } from "kysely";
import pg from "pg";
import { jetStreamNames } from "../bus/jetstream-names.js";
import { migrate } from "../sqlite-store.js";
import { findPostgresLayout, type PostgresLayout } from "../store/postgres-bootstrap.js";
import { openPostgresStore } from "../store/postgres-store.js";
import { storeNamespace } from "../store/store-namespace.js";
import { jetStreamLog } from "./jetstream-log.js";
import { copyPostgresTable, diffPostgresTable, type ReplaySchemas } from "./postgres-table-diff.js";
import {
  type ContextReplay,
  chooseContexts,
  type DeliveryState,
  ReplayError,
  type ReplayLog,
  type ReplayProgress,
  type ReplayReport,
  readModelsOf,
  rebuildProjections,
} from "./projection-rebuild.js";
import { guardAgainstServing } from "./serving-guard.js";
import { quoteIdentifier } from "./table-diff.js";

/** What to replay on PostgreSQL and NATS JetStream. */
export interface BackendReplayOptions {
  /** The platform's database (`--store`), as a user that may create schemas there (the one `sim up` ran as). */
  readonly storeUrl: string;
  /** The NATS server holding the platform's stream (`--bus`). */
  readonly busUrl: string;
  /** The platform's namespace; the database's name when absent (as `sim up` and `ecom serve` take it). */
  readonly namespace?: string | undefined;
  readonly contexts: readonly AnyContextModule[];
  readonly only?: readonly string[] | undefined;
  readonly verify?: boolean | undefined;
  readonly onProgress?: ((progress: ReplayProgress) => void) | undefined;
  readonly pageSize?: number;
}

/** Connections each replay pool opens at most: a replay runs one statement at a time. */
const POOL = 2;

/**
 * Rebuild the read models of a stopped platform on PostgreSQL and NATS JetStream from its stream, with the very
 * projection functions the running platform applies on delivery (projection-rebuild.ts, as on SQLite). Each context is
 * rebuilt into a scratch schema `<context>_replay_<pid>`: the URL's user creates it owned by the context's role (a
 * context's role may create in its own schema only, not schemas), and everything in it is then done as that role,
 * whose connections find the scratch schema first on their search path, so the context's own migrations and
 * projections run there unchanged. Then either the live tables are compared with the rebuild row by row (`verify`)
 * or replaced by it, in one transaction per context; the scratch schema is dropped by its role.
 *
 * Refused while a process serves one of the contexts (serving-guard.ts), and for a database or stream that holds no
 * platform's stores or log.
 */
export async function replayBackendReadModels(options: BackendReplayOptions): Promise<ReplayReport> {
  const chosen = chooseContexts(options.contexts, options.only);
  const namespace = replayError(() => storeNamespace(options.storeUrl, options.namespace));
  const admin = new pg.Client({ connectionString: options.storeUrl, application_name: `ecom replay ${process.pid}` });
  // A session the server ends fails the query under way; without a listener it would also throw out of the process.
  admin.on("error", () => undefined);
  await connectOrRefuse(() => admin.connect(), `PostgreSQL at ${safeUrl(options.storeUrl)}`);
  try {
    await refuseForeignStores(admin, namespace, chosen);
    const layout = await findPostgresLayout({
      url: options.storeUrl,
      namespace,
      schemas: chosen.map((module) => module.name),
    }).catch((error: Error) => {
      throw new ReplayError(error.message);
    });
    const connection = await connectOrRefuse(
      () => connect({ servers: options.busUrl, name: `ecom-replay-${process.pid}` }),
      `NATS at ${safeUrl(options.busUrl)}`,
    );
    try {
      const manager = await jetstreamManager(connection);
      const names = jetStreamNames(namespace);
      const stream = await manager.streams.info(names.stream).catch(() => undefined);
      if (!stream)
        throw new ReplayError(
          `NATS at ${safeUrl(options.busUrl)} holds no event stream ${names.stream} (namespace ${namespace}): pass the platform's --namespace`,
        );
      const guard = await guardAgainstServing({
        storeUrl: options.storeUrl,
        namespace,
        contexts: chosen.map((module) => module.name),
        connection,
        manager,
      });
      try {
        const log = jetStreamLog({ manager, client: jetstream(connection), names });
        const contexts: ContextReplay[] = [];
        const lastSeq = stream.state.last_seq;
        for (const module of chosen)
          contexts.push(await replayContext(module, { admin, layout, log, lastSeq, options }));
        return {
          verified: options.verify === true,
          contexts,
          events: contexts.reduce((sum, context) => sum + context.events, 0),
        };
      } finally {
        await guard.release();
      }
    } finally {
      await connection.close().catch(() => undefined);
    }
  } finally {
    await admin.end().catch(() => undefined);
  }
}

async function replayContext(
  module: AnyContextModule,
  where: {
    readonly admin: pg.Client;
    readonly layout: PostgresLayout;
    readonly log: ReplayLog;
    /** The stream's last sequence number. */
    readonly lastSeq: number;
    readonly options: BackendReplayOptions;
  },
): Promise<ContextReplay> {
  const { admin, layout, log, options } = where;
  const { projections, tables } = readModelsOf(module);
  const role = layout.stores.get(module.name)!.role;
  const schemas: ReplaySchemas = { live: module.name, rebuilt: `${module.name}_replay_${process.pid}` };
  await dropScratchSchemas(admin, module.name);
  await admin.query(`create schema ${quoteIdentifier(schemas.rebuilt)} authorization ${quoteIdentifier(role)}`);
  const live = openPostgresStore<unknown>(layout, module.name, { url: options.storeUrl, poolSize: POOL });
  try {
    const delivery = await deliveryState(live.db, module.name);
    if (delivery.upTo > where.lastSeq)
      throw new ReplayError(
        `${module.name} has handled events up to #${delivery.upTo}, but the stream ends at #${where.lastSeq} (deleted and made again, or --bus names another NATS?): a replay from it would not be ${module.name}'s log`,
      );
    const scratch = openPostgresStore<unknown>(layout, module.name, {
      url: withSearchPath(options.storeUrl, schemas.rebuilt),
      poolSize: POOL,
    });
    let events: number;
    try {
      // Not `_migrations`: Kysely's migrator looks for its tables in every schema the role sees, and would take the
      // live schema's for the scratch one's.
      await migrate(scratch.db, module.migrations, { label: `${module.name} (replay)`, table: "_replay_migrations" });
      events = await rebuildProjections({
        module,
        log,
        scratch: scratch.db,
        delivery,
        pageSize: options.pageSize,
        onProgress: options.onProgress,
      });
    } finally {
      await scratch.close();
    }
    const report = { context: module.name, projections, tables, events };
    if (options.verify) {
      const differences = [];
      for (const table of tables) {
        const difference = await diffPostgresTable(live.db, table, schemas);
        if (difference) differences.push(difference);
      }
      return { ...report, differences };
    }
    await live.db.transaction().execute(async (trx) => {
      for (const table of tables) await copyPostgresTable(trx, table, schemas);
    });
    return { ...report, differences: [] };
  } finally {
    // By its owner, the context's role.
    await sql`drop schema if exists ${sql.id(schemas.rebuilt)} cascade`.execute(live.db).catch(() => undefined);
    await live.close();
  }
}

/** How far the context's subscriber got (its `_cursor`), and which events it dead-lettered. */
async function deliveryState(db: Kysely<unknown>, context: string): Promise<DeliveryState> {
  const cursor = await sql<{ seq: number }>`select seq from _cursor where name = 'subscriptions'`.execute(db);
  const dead = await sql<{ event_id: string }>`select event_id from _dead_letter`.execute(db);
  const upTo = Number(cursor.rows[0]?.seq ?? 0);
  if (!Number.isSafeInteger(upTo)) throw new ReplayError(`${context}'s cursor is not a stream position: ${upTo}`);
  return { upTo, deadLetters: new Set(dead.rows.map((row) => row.event_id)) };
}

/**
 * Refuse a database where a chosen context has no store (its schema with the runtime's tables: a platform that never
 * started there), or one that another namespace's roles own (the wrong --namespace), before the bootstrap would make
 * roles for it.
 */
async function refuseForeignStores(
  admin: pg.Client,
  namespace: string,
  modules: readonly AnyContextModule[],
): Promise<void> {
  const names = modules.map((module) => module.name);
  const { rows } = await admin.query<{ schema: string; owner: string; migrated: boolean }>(
    `select n.nspname as schema, pg_get_userbyid(n.nspowner) as owner,
        exists (select 1 from pg_class c where c.relnamespace = n.oid and c.relname = '_cursor') as migrated
      from pg_namespace n where n.nspname = any($1)`,
    [names],
  );
  const missing = names.filter((name) => !rows.some((row) => row.schema === name && row.migrated));
  if (missing.length > 0)
    throw new ReplayError(
      `the database ${admin.database} holds no store of ${missing.join(", ")} (no schema with its tables): pass the --store of a platform that ran there`,
    );
  const foreign = rows.find((row) => row.owner !== `${namespace}_${row.schema}`);
  if (foreign)
    throw new ReplayError(
      `the schema ${foreign.schema} belongs to the role ${foreign.owner}, not ${namespace}_${foreign.schema}: pass the platform's --namespace`,
    );
}

/**
 * Drop what earlier replays of `context` left (a replay killed before its cleanup): `<context>_replay_<pid>` schemas.
 * The serving guard's lock of the context is held, so no other replay of it is running.
 */
async function dropScratchSchemas(admin: pg.Client, context: string): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    "select nspname as name from pg_namespace where nspname ~ ('^' || $1 || '_replay_[0-9]+$')",
    [context],
  );
  for (const { name } of rows) await admin.query(`drop schema ${quoteIdentifier(name)} cascade`);
}

/** `url` whose connections find `schema` first (and only) on their search path. */
function withSearchPath(url: string, schema: string): string {
  const target = new URL(url);
  target.searchParams.set("options", `-c search_path=${schema}`);
  return target.toString();
}

/** A URL as a message shows it: never its password, nor a NATS token (`nats://token@host`), which stands as a user. */
function safeUrl(url: string): string {
  const parsed = new URL(url);
  parsed.password = "";
  if (parsed.protocol === "nats:") parsed.username = "";
  return parsed.toString();
}

function replayError<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new ReplayError((error as Error).message);
  }
}

async function connectOrRefuse<T>(work: () => Promise<T>, what: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new ReplayError(`${what} does not answer (${(error as Error).message}): is it running?`);
  }
}
