/**
 * Runs async work one at a time per key (a payment id, an idempotency key, a checkout), in the order it was asked
 * for; work on different keys runs concurrently. Payment uses it so two concurrent requests of this process do not
 * both call the processor for one payment; the order saga, so one checkout's runs never overlap. Across processes
 * the stores' conditional updates are the guard.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  /** Run `work` once every earlier `run` with the same key has finished. */
  async run<TValue>(key: string, work: () => Promise<TValue>): Promise<TValue> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release: () => void = () => {};
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    try {
      await previous;
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Whether work on `key` is queued or running. */
  has(key: string): boolean {
    return this.#tails.has(key);
  }

  /** Resolves when the work queued or running now has finished (work asked for meanwhile is not waited for). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#tails.values()]);
  }

  /** How many keys have work queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}
