import { allContexts } from "@ecom/services";
import type { AnyContextModule, Logger } from "@ecom/services/platform";
import { sqliteOnly } from "./platform-backends.js";
import type { RunningContext } from "./platform-contexts.js";
import type { PlatformCore } from "./platform-core.js";
import type { PlatformOptions } from "./platform-options.js";
import { openSeedSnapshots, type SeedSnapshot, type SeedSnapshots, seedSnapshotKey } from "./seed-snapshot.js";

/**
 * The contexts a seed snapshot may stand for: `allContexts`' own modules. A snapshot's key names its contexts, and
 * only these are wholly said by their name; a context built with other options (`createPaymentContext({ soap:
 * false })`) or a `defineContext` of the same name seeds at every start rather than take another's snapshot.
 */
const SNAPSHOT_CONTEXTS: ReadonlySet<AnyContextModule> = new Set(allContexts);

/** Where this start's seed snapshot is kept, and under which key. */
export interface SnapshotPlace {
  readonly folder: SeedSnapshots;
  readonly key: string;
}

/**
 * The seed snapshots this start may read and write: only in memory on SQLite, without crash faults, and only for
 * contexts a snapshot's key says wholly ({@link SNAPSHOT_CONTEXTS}); otherwise undefined (the start seeds).
 */
export function seedSnapshotsOf(options: PlatformOptions, onBackends: boolean, log: Logger): SnapshotPlace | undefined {
  if (!options.memory || onBackends || !options.seedSnapshots || options.crashAfter?.length) return undefined;
  if (!options.contexts.every((module) => SNAPSHOT_CONTEXTS.has(module))) return undefined;
  return {
    folder: openSeedSnapshots(options.seedSnapshots, {
      refused: (reason) => log.warn(`the seed snapshot is not used, the start seeds instead: ${reason}`),
    }),
    key: seedSnapshotKey({ seed: options.seed, contexts: options.contexts.map((module) => module.name) }),
  };
}

/** `snapshot` when it holds a store for every context, the platform's and the log; otherwise undefined (seed instead). */
export function startingSnapshot(
  snapshot: SeedSnapshot | undefined,
  contexts: readonly AnyContextModule[],
): SeedSnapshot | undefined {
  const names = ["platform", "events", ...contexts.map((module) => module.name)];
  return snapshot && names.every((name) => snapshot.stores.has(name)) ? snapshot : undefined;
}

/**
 * Keep what the seed made, delivered, as this start's snapshot: the next start with the same seed, contexts and code
 * starts from it. A snapshot that cannot be written is only a warning (that start seeds again).
 */
export function keepSeedSnapshot(core: PlatformCore, running: readonly RunningContext[], place: SnapshotPlace): void {
  try {
    place.folder.write(place.key, {
      seeded: core.seeded,
      clock: core.clock.now(),
      draws: core.counted.draws(),
      ids: core.ids.state(),
      stores: new Map([
        ["platform", core.platformStore.serialize()],
        ...(core.eventLog ? [["events", core.eventLog.serialize()] as const] : []),
        ...running.map((context) => [context.module.name, sqliteOnly(context.store).serialize()] as const),
      ]),
    });
  } catch (error) {
    core.log.warn("the seed snapshot could not be kept; the next start seeds again", { error: String(error) });
  }
}
