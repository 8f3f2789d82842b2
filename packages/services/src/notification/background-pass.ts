import type { Logger } from "../platform/index.js";

/**
 * Runs `work` in the background on demand, never twice at once: a kick while it runs asks for one more pass after
 * it. The pass starts at once (on the microtask queue, never inside the kicker's stack): a kick that follows a write
 * comes from the transaction's after-commit hook (`runtime.afterCommit`), so the pass sees what it committed.
 */
export function createBackgroundPass(name: string, work: () => Promise<void>, log: Logger) {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const start = () => {
    running = Promise.resolve()
      .then(work)
      .catch((error) => log.error(`${name} failed`, { error: String(error) }))
      .finally(() => {
        running = undefined;
        if (again && !stopped) {
          again = false;
          start();
        }
      });
  };

  return {
    /** Ask for a pass soon. */
    kick(): void {
      if (stopped) return;
      if (running) again = true;
      else start();
    },
    /** Resolves when no pass is running or asked for. */
    async idle(): Promise<void> {
      while (running) await running;
    },
    /** Take no more kicks; a pass under way finishes. */
    async stop(): Promise<void> {
      stopped = true;
      again = false;
      while (running) await running;
    },
  };
}
