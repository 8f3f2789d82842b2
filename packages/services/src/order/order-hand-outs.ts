import type { Selectable } from "kysely";
import type { OrdersTable } from "./store.js";

type Order = Selectable<OrdersTable>;

/** One `POST /orders` waiting for a saga's end. */
interface Waiter {
  /** The write that pays the order took this caller to hand the order out to: it waits for that write's end. */
  picked: boolean;
  /** The order as that write left it, handed out (claimed) to this caller. */
  order?: Order | undefined;
}

/** The callers waiting for one checkout's saga, and whether a write of this process has handed its order out. */
interface Waiting {
  readonly waiters: Waiter[];
  handedOut: boolean;
}

/** What a caller learns when its wait ends. */
export interface HandOutResult<TResult> {
  /** What the wait resolved to. */
  readonly result: TResult;
  /** The order, when it was handed out to this caller. */
  readonly order?: Order | undefined;
  /**
   * The order was handed out to another caller by a committed write: this one reads it (200) instead of trying to
   * claim it with a write that would change nothing.
   */
  readonly handedOut: boolean;
}

/**
 * The `POST /orders` calls of this process waiting for a saga's end, so that the write that pays the order (capture
 * succeeded) hands it out to the first of them in the same transaction (`claimed_at`) instead of that call claiming it
 * with a write of its own once woken. The first answer is still the one that hands the order out (201); the others
 * learn that it was (200) and read it.
 */
export class OrderHandOuts {
  readonly #waiting = new Map<string, Waiting>();

  /**
   * Run `wait` (a wait for the saga's end) as a caller of `checkoutId`, told whether the caller was picked (it must not
   * give up on its timeout then: the run tells it, whatever the write came to). Resolves to what `wait` resolved to,
   * the order when it was handed out to this caller, and whether it was handed out to another.
   */
  async wait<TResult>(
    checkoutId: string,
    wait: (picked: () => boolean) => Promise<TResult>,
  ): Promise<HandOutResult<TResult>> {
    const waiter: Waiter = { picked: false };
    let waiting = this.#waiting.get(checkoutId);
    if (!waiting) {
      waiting = { waiters: [], handedOut: false };
      this.#waiting.set(checkoutId, waiting);
    }
    const group = waiting;
    group.waiters.push(waiter);
    try {
      const result = await wait(() => waiter.picked);
      return { result, order: waiter.order, handedOut: waiter.order === undefined && group.handedOut };
    } finally {
      const at = group.waiters.indexOf(waiter);
      if (at >= 0) group.waiters.splice(at, 1);
      if (group.waiters.length === 0 && this.#waiting.get(checkoutId) === group) this.#waiting.delete(checkoutId);
    }
  }

  /**
   * For the write that pays the order of `checkoutId`: the first caller waiting for it and not yet picked, picked, as
   * a function that hands it the order once that write claimed it and committed; undefined when none waits.
   */
  pick(checkoutId: string): ((order: Order) => void) | undefined {
    const group = this.#waiting.get(checkoutId);
    const waiter = group?.waiters.find((candidate) => !candidate.picked);
    if (!group || !waiter) return undefined;
    waiter.picked = true;
    return (order) => {
      waiter.order = order;
      group.handedOut = true;
    };
  }

  /** Whether a picked caller of `checkoutId` still waits (a run that ends must wake it, told or not). */
  hasPicked(checkoutId: string): boolean {
    return this.#waiting.get(checkoutId)?.waiters.some((waiter) => waiter.picked) ?? false;
  }
}
