import type { BusStore } from "./bus/event-bus.js";
import type { JetStreamBus } from "./bus/jetstream-bus.js";
import { consoleLogger, type PlatformBackends, type PlatformOptions } from "./platform-options.js";
import type { RuntimeTables } from "./sqlite-store.js";
import { openPostgresStores } from "./store/open-postgres-stores.js";
import type { PostgresStores } from "./store/postgres-store.js";
import { type EmbeddedStore, isEmbeddedStore, type Store } from "./store/store-port.js";

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

/** A store as the bus uses it: SQLite's with its prepared statements, any other through Kysely alone. */
export function busStoreOf(store: Store<RuntimeTables>): BusStore {
  return isEmbeddedStore(store) ? { sqlite: store, db: store.db } : { db: store.db };
}

/** A SQLite store's extras, for what only a platform on SQLite does (seed snapshots). */
export function sqliteOnly(store: Store<RuntimeTables>): EmbeddedStore<RuntimeTables> {
  if (!isEmbeddedStore(store)) throw new Error("only a platform on SQLite keeps seed snapshots");
  return store;
}
