/**
 * How far a process has applied its virtual clock: the latest time at which its contexts' ticks ran (an advance, which
 * ticks and delivers before it resolves) or which it holds already (the shared clock of a split platform, once its
 * advance ran here, or found this clock past it). `POST /_sim/settle` carrying the shared clock waits here until the
 * process applied it, so a settle right after an advance through the gateway does not answer before the expiries and
 * retries that advance made due. Waiters are woken by the mark, never by polling.
 */
export class AppliedClock {
  #through: number;
  readonly #waiters = new Set<{ readonly until: number; readonly wake: (reached: boolean) => void }>();

  /** `start`: the clock as the process started (resumed from its store; what was due then is its start's work). */
  constructor(start: Date) {
    this.#through = start.getTime();
  }

  /** The clock is applied up to `time` (an earlier time than one marked before changes nothing). */
  mark(time: Date): void {
    this.#through = Math.max(this.#through, time.getTime());
    for (const waiter of [...this.#waiters]) if (waiter.until <= this.#through) waiter.wake(true);
  }

  /** Resolves to true once the clock is applied up to `time`; to false if `signal` aborts first. */
  reached(time: Date, signal: AbortSignal): Promise<boolean> {
    if (time.getTime() <= this.#through) return Promise.resolve(true);
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        until: time.getTime(),
        wake: (reached: boolean) => {
          this.#waiters.delete(waiter);
          signal.removeEventListener("abort", aborted);
          resolve(reached);
        },
      };
      const aborted = () => waiter.wake(false);
      this.#waiters.add(waiter);
      signal.addEventListener("abort", aborted, { once: true });
    });
  }
}
