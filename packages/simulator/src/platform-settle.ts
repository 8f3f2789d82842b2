import type { EventBus } from "./bus/event-bus.js";
import type { RunningContext } from "./platform-contexts.js";
import type { PlatformCore } from "./platform-core.js";
import { createWalCheckpointer } from "./wal-checkpointer.js";

/**
 * Deliver until quiet. With `background`, also wait for the contexts' own background work (saga runs); the clock
 * and shutdown do not, since a saga may be waiting on a call that only they can let go of.
 */
export function createSettle(bus: EventBus, running: readonly RunningContext[]) {
  return async ({ background }: { readonly background: boolean }): Promise<void> => {
    for (let round = 0; round < 1000; round++) {
      const before = await bus.lastSeq();
      await Promise.all(running.map((context) => context.relay.idle()));
      for (const context of running) await context.relay.drain();
      // Through the dispatchers' own runners, so a pass settle asks for never overlaps one already under way.
      for (const context of running) context.subscription?.kick();
      await Promise.all(running.map((context) => context.subscription?.idle()));
      if (background) await Promise.all(running.map((context) => context.parts.idle?.()));
      for (const context of running) await context.relay.drain();
      const outboxes = await Promise.all(running.map((context) => context.relay.waiting()));
      if (outboxes.some((waiting) => waiting > 0) || (await bus.lastSeq()) !== before) continue;
      const caught = await Promise.all(
        running.map(async (context) => ((await context.subscription?.position(1))?.pending ?? 0) === 0),
      );
      if (caught.every(Boolean)) return;
    }
    throw new Error("the platform did not settle: events keep producing events");
  };
}

/** The platform's timers: the tick of a running clock, and the periodic save of the clock and manifest. */
export interface PlatformTimers {
  /** Stop both and wait for a tick under way and for the WAL checkpointer. */
  close(): Promise<void>;
}

/**
 * Start the timers. A running (unseeded) clock moves by itself, so what falls due (reservations, carts, flash
 * sales) is looked at every second; a frozen clock moves only through advanceClock, which ticks itself. Every five
 * seconds the clock is saved and the data folder's manifest written; WAL checkpoints run in a worker thread with
 * connections of its own, so no request waits for one.
 */
export function startTimers(core: PlatformCore, running: readonly RunningContext[]): PlatformTimers {
  const { clock, log, folder, platformStore, dataDir } = core;
  let ticking = false;
  const ticker = core.seeded
    ? undefined
    : setInterval(() => {
        if (ticking) return;
        ticking = true;
        const now = clock.now();
        Promise.all([...running.map((context) => context.parts.tick?.(now)), platformStore.idempotency.purgeExpired()])
          .catch((error) => log.error("tick failed", { error: String(error) }))
          .finally(() => {
            ticking = false;
          });
      }, 1_000);
  ticker?.unref();

  const checkpointer = createWalCheckpointer(
    dataDir ? ["platform", "events", ...running.map((context) => context.module.name)].map(core.file) : [],
    { log },
  );
  const checkpoints = setInterval(() => {
    platformStore.saveClock().catch((error) => log.error("saving the clock failed", { error: String(error) }));
    try {
      folder?.saveManifest(clock.now());
    } catch (error) {
      log.error("writing the data folder's manifest failed", { error: String(error) });
    }
  }, 5_000);
  checkpoints.unref();
  return {
    async close() {
      clearInterval(checkpoints);
      await checkpointer.close();
      if (ticker) clearInterval(ticker);
      while (ticking) await new Promise((resolveTick) => setTimeout(resolveTick, 5));
    },
  };
}
