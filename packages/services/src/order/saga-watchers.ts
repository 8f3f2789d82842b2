import type { Selectable } from "kysely";
import type { CheckoutsTable } from "./store.js";

type Checkout = Selectable<CheckoutsTable>;

/**
 * Who in this process waits for a checkout's saga to change (`POST /orders`, until the saga ends), and telling
 * them: the saga's runs tell each change they commit, other writers that something changed.
 */
export class SagaWatchers {
  readonly #watchers = new Map<string, Set<(checkout: Checkout | undefined) => void>>();

  /**
   * Resolves when the saga of `checkoutId` records a change (one into a state `until` accepts, when given): to the
   * saga as this process's run has just committed it, or to true when the change is not known (the saga was created,
   * or a run stopped: read it); false after `timeoutMs` without one.
   */
  waitForChange(
    checkoutId: string,
    timeoutMs: number,
    until?: (state: string) => boolean,
    /** While this holds, the timeout does not end the wait: a run is bound to tell (see {@link waitForOrder}). */
    holdOn?: () => boolean,
  ): Promise<Checkout | boolean> {
    return new Promise((resolve) => {
      const watchers = this.#watchers.get(checkoutId) ?? new Set<(checkout: Checkout | undefined) => void>();
      this.#watchers.set(checkoutId, watchers);
      const done = (changed: Checkout | boolean) => {
        clearTimeout(timer);
        watchers.delete(onChange);
        if (watchers.size === 0) this.#watchers.delete(checkoutId);
        resolve(changed);
      };
      // A change of unknown state (the saga was created, or a run stopped) wakes every waiter.
      const onChange = (checkout: Checkout | undefined) => {
        if (checkout === undefined) done(true);
        else if (!until || until(checkout.state)) done(checkout);
      };
      const timer = setTimeout(() => {
        if (!holdOn?.()) done(false);
      }, timeoutMs);
      timer.unref?.();
      watchers.add(onChange);
    });
  }

  /** Tell whoever waits on `checkoutId` that it changed (into `checkout`, as committed, when known). */
  notify(checkoutId: string, checkout?: Checkout): void {
    for (const watcher of [...(this.#watchers.get(checkoutId) ?? [])]) watcher(checkout);
  }
}
