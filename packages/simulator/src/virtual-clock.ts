import type { Clock } from "@ecom/services/platform";

/**
 * The platform's clock. Running, it follows real time plus every advance; frozen (under `--seed`), it stands still
 * but for advances, so a run is reproducible. Either way `advance` moves time forward at once: reservation and cart
 * expiry, webhook retries and token expiry are tested without sleeping.
 */
export class VirtualClock implements Clock {
  #offsetMs = 0;
  #frozenAt: number | undefined;
  #last = 0;
  /** Waits under way: each ends at its time, and an advance past it ends it sooner. */
  readonly #sleepers = new Set<{ readonly until: number; readonly wake: () => void }>();

  constructor(options: { readonly start?: Date; readonly frozen?: boolean } = {}) {
    const start = options.start?.getTime() ?? Date.now();
    if (options.frozen) this.#frozenAt = start;
    else this.#offsetMs = start - Date.now();
  }

  /** The current time; never earlier than a time it gave before. */
  now(): Date {
    const candidate = this.#frozenAt ?? Date.now() + this.#offsetMs;
    this.#last = Math.max(this.#last, candidate);
    return new Date(this.#last);
  }

  /** Move the clock forward by `milliseconds` (not backward: time only advances). */
  advance(milliseconds: number): Date {
    if (!Number.isFinite(milliseconds) || milliseconds < 0)
      throw new RangeError("the clock only moves forward: pass a positive number of milliseconds");
    if (this.#frozenAt === undefined) this.#offsetMs += milliseconds;
    else this.#frozenAt += milliseconds;
    const now = this.now();
    for (const sleeper of [...this.#sleepers]) if (sleeper.until <= now.getTime()) sleeper.wake();
    return now;
  }

  /**
   * Wait `milliseconds` of this clock's time: at most that much real time (a frozen clock does not move by itself,
   * and backoff must not hang on it), less when an advance passes the end first. Rejects with the signal's reason
   * when `signal` aborts (the platform closing).
   */
  sleep(milliseconds: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const finish = (error?: unknown) => {
        clearTimeout(timer);
        this.#sleepers.delete(sleeper);
        signal?.removeEventListener("abort", aborted);
        if (error === undefined) resolve();
        else reject(error);
      };
      const aborted = () => finish(signal?.reason);
      const sleeper = { until: this.now().getTime() + milliseconds, wake: () => finish() };
      const timer = setTimeout(finish, milliseconds);
      this.#sleepers.add(sleeper);
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }

  /** Move the clock forward to at least `time` (a restart resumes from the last time the data folder saw). */
  resumeFrom(time: Date): void {
    const gap = time.getTime() - this.now().getTime();
    if (gap > 0) this.advance(gap);
  }
}
