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

/**
 * The `POST /orders` calls of this process waiting for a saga's end, so that the write that pays the order (capture
 * succeeded) hands it out to the first of them in the same transaction (`claimed_at`) instead of that call claiming it
 * with a write of its own once woken. The first answer is still the one that hands the order out (201); the others
 * still find it claimed (200).
 */
export class OrderHandOuts {
  readonly #waiting = new Map<string, Waiter[]>();

  /**
   * Run `wait` (a wait for the saga's end) as a caller of `checkoutId`, told whether the caller was picked (it must not
   * give up on its timeout then: the run tells it, whatever the write came to). Resolves to what `wait` resolved to,
   * and the order, when it was handed out to this caller.
   */
  async wait<TResult>(
    checkoutId: string,
    wait: (picked: () => boolean) => Promise<TResult>,
  ): Promise<{ readonly result: TResult; readonly order?: Order | undefined }> {
    const waiter: Waiter = { picked: false };
    const waiting = this.#waiting.get(checkoutId) ?? [];
    this.#waiting.set(checkoutId, waiting);
    waiting.push(waiter);
    try {
      const result = await wait(() => waiter.picked);
      return { result, order: waiter.order };
    } finally {
      const left = this.#waiting.get(checkoutId)?.filter((other) => other !== waiter) ?? [];
      if (left.length > 0) this.#waiting.set(checkoutId, left);
      else this.#waiting.delete(checkoutId);
    }
  }

  /**
   * For the write that pays the order of `checkoutId`: the first caller waiting for it and not yet picked, picked, as
   * a function that hands it the order once that write claimed it; undefined when none waits.
   */
  pick(checkoutId: string): ((order: Order) => void) | undefined {
    const waiter = this.#waiting.get(checkoutId)?.find((candidate) => !candidate.picked);
    if (!waiter) return undefined;
    waiter.picked = true;
    return (order) => {
      waiter.order = order;
    };
  }

  /** Whether a picked caller of `checkoutId` still waits (a run that ends must wake it, told or not). */
  hasPicked(checkoutId: string): boolean {
    return this.#waiting.get(checkoutId)?.some((waiter) => waiter.picked) ?? false;
  }
}
