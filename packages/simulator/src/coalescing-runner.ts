/**
 * Runs one piece of work on demand, never twice at once: a `kick` while it runs asks for exactly one more pass
 * after it. Work is started on the next turn of the event loop, so a caller inside a transaction has committed by
 * then. This is how the relay and the dispatchers react to new events without polling.
 */
export class CoalescingRunner {
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

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
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.work())
      .catch(this.onError)
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Take no more kicks (the platform is closing); a pass under way finishes. */
  stop(): void {
    this.#stopped = true;
    this.#again = false;
  }

  /** Resolves when no pass is running or pending. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }
}
