import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { type FaultSwitches, type Ids, type Logger, noFaults, type TokenService } from "@ecom/services/platform";
import { createEmbeddedBus } from "./bus/embedded-bus.js";
import type { EventBus } from "./bus/event-bus.js";
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from "./connection-limits.js";
import type { OpenedDataFolder } from "./data-folder/open-data-folder.js";
import { EventLog } from "./event-log.js";
import type { IdempotencyTables } from "./gateway/idempotency-store.js";
import { type ExternalBackends, lastStampedOn, platformStoreOn } from "./platform-backends.js";
import { type PlatformOptions, SEEDED_EPOCH } from "./platform-options.js";
import { type SnapshotPlace, seedSnapshotsOf, startingSnapshot } from "./platform-seed.js";
import { loadSecret, openPlatformStore, type PlatformStore } from "./platform-store.js";
import type { SeedSnapshot } from "./seed-snapshot.js";
import { type CountedRandom, createCountedRandom } from "./seeded-random.js";
import { migrate, openSqliteStore } from "./sqlite-store.js";
import { embeddedStore } from "./store/store-port.js";
import { createStreamGate, type StreamGate } from "./stream-gate.js";
import { createStreamSlots, type StreamSlots } from "./stream-pump.js";
import { createTokenService } from "./token-service.js";
import type { PlatformTracing } from "./tracing/platform-tracing.js";
import { createUlidIds, type UlidState } from "./ulid-ids.js";
import { VirtualClock } from "./virtual-clock.js";

/** What every part of a running platform draws on: its options, time, ids, randomness, tokens, stores and the bus. */
export interface PlatformCore {
  readonly options: PlatformOptions;
  readonly log: Logger;
  readonly folder: OpenedDataFolder | undefined;
  readonly external: ExternalBackends | undefined;
  readonly tracing: PlatformTracing;
  readonly limits: ServerLimits;
  readonly streamSlots: StreamSlots;
  readonly streamGate: StreamGate;
  /** The data folder, or undefined in memory and on backends. */
  readonly dataDir: string | undefined;
  /** A store's file in the data folder, or `:memory:`. */
  file(name: string): string;
  /** A store's file, or its seeded database when the start is from a snapshot. */
  source(name: string): string | Buffer;
  /** `migrate`, or nothing when the stores come from a snapshot (migrated by this same code: its key says so). */
  readonly migrateStore: typeof migrate;
  /** Whether `--seed` froze the clock and fixed ids and random choices. */
  readonly seeded: boolean;
  readonly snapshots: SnapshotPlace | undefined;
  readonly snapshot: SeedSnapshot | undefined;
  readonly counted: CountedRandom;
  readonly random: () => number;
  readonly clock: VirtualClock;
  readonly ids: Ids & { state(): UlidState };
  readonly tokens: TokenService;
  readonly faults: FaultSwitches;
  /** Aborted by close() before the stores close: the contexts' background work stops there (ports.ts `closing`). */
  readonly closing: AbortController;
  readonly platformStore: PlatformStore;
  /** The embedded log, unless the log is the JetStream stream. */
  readonly eventLog: EventLog | undefined;
  readonly bus: EventBus;
}

/**
 * Open what the contexts are built on: the seed snapshot to start from (if any), the random source, the clock and
 * ids, the token service, the platform's store (which resumes the clock) and the event log with its bus.
 */
export async function openPlatformCore(
  options: PlatformOptions,
  folder: OpenedDataFolder | undefined,
  external: ExternalBackends | undefined,
  tracing: PlatformTracing,
  log: Logger,
): Promise<PlatformCore> {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const dataDir = folder?.dir;
  const file = (name: string) => (dataDir ? join(dataDir, `${name}.db`) : ":memory:");
  const seeded = options.seed !== undefined;
  const snapshots = seedSnapshotsOf(options, external !== undefined, log);
  const snapshot = startingSnapshot(snapshots?.folder.read(snapshots.key, new Date()), options.contexts);
  const counted = createCountedRandom(options.seed ?? randomBytes(4).readUInt32LE(0), snapshot?.draws);
  const clock = new VirtualClock(seeded ? { start: SEEDED_EPOCH, frozen: true } : {});
  const ids = createUlidIds(clock, counted.next, snapshot?.ids);
  const source = (name: string) => snapshot?.stores.get(name) ?? file(name);
  const migrateStore: typeof migrate = snapshot ? async () => {} : migrate;
  const secret = external ? external.stores.secrets.jwt : loadSecret(dataDir);
  const tokens = createTokenService(secret, clock, ids);
  const platformStore = await openPlatformStore({
    store: external ? platformStoreOn(external) : embeddedStore(openSqliteStore<IdempotencyTables>(source("platform"))),
    migrateStore,
    clock,
    // On backends the newest event is in the stream or an outbox; a data folder found its newest when it opened.
    stamped: external ? [await lastStampedOn(external)] : [folder?.lastStamped, folder?.lastClock],
    snapshot,
  });
  const eventLog = external ? undefined : await EventLog.open(source("events"));
  return {
    options,
    log,
    folder,
    external,
    tracing,
    limits,
    streamSlots: createStreamSlots(limits.maxStreams),
    // The event streams' pages take at most a quarter of the event loop's time, however many streams replay the log:
    // requests (a /healthz) keep the rest (stream-gate.ts says why).
    streamGate: createStreamGate({ share: 0.25 }),
    dataDir,
    file,
    source,
    migrateStore,
    seeded,
    snapshots,
    snapshot,
    counted,
    random: counted.next,
    clock,
    ids,
    tokens,
    faults: noFaults(),
    closing: new AbortController(),
    platformStore,
    eventLog,
    bus: eventLog ? createEmbeddedBus(eventLog) : (external as ExternalBackends).bus,
  };
}
