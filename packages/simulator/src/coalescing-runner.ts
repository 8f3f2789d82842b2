/**
 * Runs one piece of work on demand, never twice at once: a kick while it runs asks for exactly one more pass after
 * it. This is how the relay and the dispatchers react to new events without polling.
 *
 * Nothing here stands for "the caller has committed": a caller inside a transaction asks from an after-commit hook
 * (store/hooked-kysely.ts). A {@link CoalescingRunner.flush} (what such a hook awaits) starts its pass at once; a
 * plain {@link CoalescingRunner.kick} (the log has new events for a dispatcher) starts it on the next turn of the
 * event loop, only so that a subscriber's work does not interleave with another context's transaction that is still
 * running its statements (on SQLite a seed's one long transaction): its events then keep the log in `occurredAt`
 * order. Correctness never rests on that turn.
 */
export class CoalescingRunner {
  #running: Promise<void> | undefined;
  /** A pass asked for by a kick, to start on the next turn. */
  #scheduled: NodeJS.Immediate | undefined;
  #again = false;
  #stopped = false;
  /** Flushes waiting for the next pass to start and finish. */
  #waiting: Array<() => void> = [];

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Ask for a pass soon. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      if (!this.#running && !this.#stopped) this.#start();
    });
  }

  /**
   * Ask for a pass, started at once unless one is under way, and resolve when a pass that started after this call
   * has finished (failed or not: its error goes to `onError`); at once when the runner is stopped.
   */
  flush(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
      if (this.#running) {
        this.#again = true;
        return;
      }
      if (this.#scheduled) clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
      this.#start();
    });
  }

  #start(): void {
    const answered = this.#waiting;
    this.#waiting = [];
    this.#running = Promise.resolve()
      .then(() => this.work())
      .catch(this.onError)
      .finally(() => {
        this.#running = undefined;
        for (const resolve of answered) resolve();
        if (this.#again && !this.#stopped) {
          this.#again = false;
          this.#start();
        } else {
          this.#again = false;
          // Stopped: no pass comes for whoever still waits.
          for (const resolve of this.#waiting.splice(0)) resolve();
        }
      });
  }

  /** Take no more kicks (the platform is closing); a pass under way finishes. */
  stop(): void {
    this.#stopped = true;
    this.#again = false;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (!this.#running) for (const resolve of this.#waiting.splice(0)) resolve();
  }

  /** Resolves when no pass is running or pending. */
  async idle(): Promise<void> {
    for (;;) {
      if (this.#running) await this.#running;
      else if (this.#scheduled) await new Promise<void>((resolve) => setImmediate(resolve));
      else return;
    }
  }
}
