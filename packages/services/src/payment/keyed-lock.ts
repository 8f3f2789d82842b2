/**
 * Runs async work one at a time per key (a payment id, an idempotency key), in the order it was asked for; work on
 * different keys runs concurrently. It keeps a payment from being captured twice by two concurrent requests of this
 * process while the first waits for the processor. Across processes the conditional updates in the store are the
 * guard; this only spares the processor a duplicate call.
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

  /** How many keys have work queued or running (for tests). */
  get size(): number {
    return this.#tails.size;
  }
}
