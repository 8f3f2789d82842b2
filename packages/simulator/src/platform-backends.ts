import type { BusStore } from "./bus/event-bus.js";
import type { JetStreamBus } from "./bus/jetstream-bus.js";
import type { IdempotencyTables } from "./gateway/idempotency-store.js";
import { consoleLogger, type PlatformBackends, type PlatformOptions } from "./platform-options.js";
import type { RuntimeTables } from "./sqlite-store.js";
import { openPostgresStores } from "./store/open-postgres-stores.js";
import type { PostgresStores } from "./store/postgres-store.js";
import { type EmbeddedStore, isEmbeddedStore, type PostgresStore, type Store } from "./store/store-port.js";

/** The stores and the bus of a platform on PostgreSQL and NATS JetStream. */
export interface ExternalBackends {
  readonly stores: PostgresStores;
  readonly bus: JetStreamBus;
  close(): Promise<void>;
}

/**
 * Open (bootstrap, migrate) the stores on PostgreSQL, then the bus on JetStream in the same namespace; their clients
 * are loaded only now, so an embedded start never pays for them.
 */
export async function openBackends(backends: PlatformBackends, options: PlatformOptions): Promise<ExternalBackends> {
  const log = options.log ?? consoleLogger;
  const stores = await openPostgresStores({
    url: backends.storeUrl,
    ...(backends.namespace === undefined ? {} : { namespace: backends.namespace }),
    contexts: options.contexts,
    onIdleError: (error, store) => log.warn(`a pooled connection of ${store} failed`, { error: error.message }),
    onHookError: (error) => log.error("an after-commit hook failed", { error: String(error) }),
  });
  try {
    const { connectJetStreamBus } = await import("./bus/jetstream-bus.js");
    const bus = await connectJetStreamBus({ url: backends.busUrl, namespace: stores.namespace, logger: log });
    return {
      stores,
      bus,
      async close() {
        await bus.close().catch(() => {});
        await stores.close();
      },
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

/**
 * The platform's own store on the backends: the `platform` schema (beside the shared secrets), which every process
 * on the database shares, so Idempotency-Keys and the saved clock outlive a process and are seen by every other.
 */
export function platformStoreOn(external: ExternalBackends): PostgresStore<IdempotencyTables> {
  const { platform } = external.stores;
  return { ...platform, db: platform.db.withTables<IdempotencyTables>() };
}

/** A store as the bus uses it: SQLite's with its prepared statements, any other through Kysely alone. */
export function busStoreOf(store: Store<RuntimeTables>): BusStore {
  return isEmbeddedStore(store) ? { sqlite: store, db: store.db } : { db: store.db };
}

/** A SQLite store's extras, for what only a platform on SQLite does (seed snapshots). */
export function sqliteOnly(store: Store<RuntimeTables>): EmbeddedStore<RuntimeTables> {
  if (!isEmbeddedStore(store)) throw new Error("only a platform on SQLite keeps seed snapshots");
  return store;
}

/** How many of the stream's newest events are looked at for the newest stamp: relays append slightly out of order. */
const NEWEST_PAGE = 200;

/**
 * The newest time an event on the backends was stamped with: in the stream's newest page, or still in an outbox
 * (written, not yet relayed). The clock resumes past it, as a data folder's clock resumes past its newest event.
 */
export async function lastStampedOn(external: ExternalBackends): Promise<Date | undefined> {
  const envelopes: string[] = [];
  const last = await external.bus.lastSeq();
  for (const event of await external.bus.read({ afterSeq: Math.max(0, last - NEWEST_PAGE), limit: NEWEST_PAGE }))
    envelopes.push(event.envelope);
  for (const store of external.stores.contexts.values()) {
    const rows = await store.db
      .selectFrom("_outbox")
      .select("envelope")
      .orderBy("seq", "desc")
      .limit(NEWEST_PAGE)
      .execute();
    // A PostgreSQL store's outbox holds JSON text: only the embedded bus's keeps envelopes packed (RuntimeTables).
    for (const row of rows) if (typeof row.envelope === "string") envelopes.push(row.envelope);
  }
  const stamps = envelopes
    .map((envelope) => (JSON.parse(envelope) as { occurredAt?: unknown }).occurredAt)
    .filter((stamp): stamp is string => typeof stamp === "string" && !Number.isNaN(Date.parse(stamp)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const newest = stamps.pop();
  return newest === undefined ? undefined : new Date(newest);
}
