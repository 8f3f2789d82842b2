import { basename, dirname } from "node:path";
import type { RpcClients } from "@ecom/sdk/rpc";
import {
  type AnyContextModule,
  type ContextMetrics,
  type ContextParts,
  type ContextRuntime,
  composeSubscriber,
} from "@ecom/services/platform";
import type { Kysely } from "kysely";
import type { Relay, Subscription } from "./bus/event-bus.js";
import { DataFolderError } from "./data-folder/data-folder-error.js";
import { createOutbox } from "./outbox.js";
import { busStoreOf } from "./platform-backends.js";
import type { PlatformCore } from "./platform-core.js";
import { openSqliteStore, type RuntimeTables, runtimeMigrations } from "./sqlite-store.js";
import { afterCommit } from "./store/hooked-kysely.js";
import { embeddedStore, type Store } from "./store/store-port.js";

/** A context as the platform runs it: its module, store, the parts it made, its outbox relay and subscription. */
export interface RunningContext {
  readonly module: AnyContextModule;
  readonly store: Store<RuntimeTables>;
  readonly parts: ContextParts<unknown>;
  readonly relay: Relay;
  subscription?: Subscription;
}

/**
 * Create every context on its store (the backends', or its SQLite store, migrated), each with an outbox relayed to
 * the bus and a runtime of the platform's clock, ids, random, tokens and `rpc` (clients that resolve on first use).
 */
export async function createContexts(
  core: PlatformCore,
  rpc: RpcClients,
  metrics: ContextMetrics,
): Promise<RunningContext[]> {
  const { bus, clock, ids, random, log, closing, tracing } = core;
  const running: RunningContext[] = [];
  for (const module of core.options.contexts) {
    const store = core.external?.stores.contexts.get(module.name) ?? (await openContextStore(core, module));
    const relay = bus.relay({
      producer: module.name,
      store: busStoreOf(store),
      onError: (error) => log.error(`outbox relay of ${module.name} failed`, { error: String(error) }),
    });
    const runtime: ContextRuntime<unknown> = {
      name: module.name,
      db: store.db as Kysely<unknown>,
      afterCommit,
      closing: closing.signal,
      sleep: (milliseconds) => clock.sleep(milliseconds, closing.signal),
      outbox: createOutbox<unknown>({
        producer: module.name,
        clock,
        ids,
        random,
        store,
        onPublish: () => relay.flush(),
        committed: (rows) => relay.committed?.(rows),
        traced: tracing.published,
        clearable: () => relay.clearable(),
        packed: relay.packedOutbox === true,
      }),
      clock,
      ids,
      random,
      rpc,
      tokens: core.tokens,
      log,
      faults: core.faults,
      metrics,
      tracing: tracing.contextTracing(module.name),
    };
    running.push({ module, store, parts: module.create(runtime), relay });
  }
  return running;
}

/** Subscribe each context that reacts to events: its projections first, then its own reactions. */
export async function subscribeContexts(core: PlatformCore, running: readonly RunningContext[]): Promise<void> {
  for (const context of running) {
    // Projections first, then the context's own reactions: the same projection functions `ecom replay` runs.
    const subscriptions = composeSubscriber(
      context.module.projections ?? [],
      context.parts.subscriptions as Record<string, never> | undefined,
    );
    if (Object.keys(subscriptions).length > 0) {
      context.subscription = await core.bus.subscribe({
        subscriber: context.module.name,
        store: busStoreOf(context.store),
        handlers: core.tracing.subscriber(context.module.name, subscriptions),
        logger: core.log,
        now: () => core.clock.now(),
      });
    }
  }
}

/**
 * Watch what the bus relays: the data folder notes the newest event, the trace its spans, and a crash fault
 * (`crashAfter`) kills the process as soon as an event of its type is in the log, as a power cut would.
 */
export function watchRelayed(core: PlatformCore): void {
  const crashTypes = new Set(core.options.crashAfter ?? []);
  core.bus.watch((events) => {
    core.folder?.notePublished(events);
    core.tracing.relayed(events);
    const fatal = events.find((event) => crashTypes.has(event.eventType));
    if (fatal) {
      core.log.warn(`crash fault: killing the process after ${fatal.eventType} ${fatal.eventId}`);
      process.kill(process.pid, "SIGKILL");
    }
  });
}

/** A context's SQLite store (its file, or in memory), migrated: the runtime's tables, then the context's own. */
async function openContextStore(core: PlatformCore, module: AnyContextModule): Promise<Store<RuntimeTables>> {
  const { log, migrateStore } = core;
  const store = openSqliteStore<RuntimeTables>(core.source(module.name), {
    groupCommit: true,
    onHookError: (error) => log.error(`an after-commit hook of ${module.name} failed`, { error: String(error) }),
  });
  await namingTheFile(core.file(module.name), async () => {
    await migrateStore(store.db as Kysely<unknown>, runtimeMigrations, {
      label: `${module.name} (runtime tables)`,
      table: "_migrations_runtime",
    });
    await migrateStore(store.db as Kysely<unknown>, module.migrations, { label: module.name, table: "_migrations" });
  });
  return embeddedStore(store);
}

/** Run a store's first statements, so that a store SQLite refuses (malformed) is named in the error. */
async function namingTheFile(path: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (path === ":memory:") throw error;
    throw new DataFolderError(
      "damaged",
      `${basename(path)} in ${dirname(path)} cannot be used: ${(error as Error).message}; restore it from a backup, or start over with \`ecom sim reset --data ${dirname(path)}\``,
    );
  }
}
