import type { Selectable } from "kysely";
import { type ContextRuntime, fail, type Principal } from "../platform/index.js";
import type { CheckoutSaga } from "./checkout-saga.js";
import { isTerminal } from "./checkout-saga-rules.js";
import { OrderProblem } from "./order-commands.js";
import type { OrderStatements } from "./order-statements.js";
import { checkoutResource, orderResource } from "./order-views.js";
import type { OrderDatabase, OrdersTable } from "./store.js";

/** What `POST /orders` waits with, made once with the handlers. */
export interface OrderCreationWait {
  readonly runtime: ContextRuntime<OrderDatabase>;
  readonly saga: CheckoutSaga;
  readonly statements: OrderStatements;
  /** How long it waits (real milliseconds) for the saga to create and pay the order before it answers 202. */
  readonly waitMs: number;
}

/**
 * `POST /orders`: wait for the saga of `checkoutId` (which `who` must own, unless an admin) to end, up to `waitMs`,
 * then answer its order (201 to the call it is handed out to, 200 after), 409 checkout_failed when it failed, or
 * 202 with the checkout to poll while it runs on; 404 for a checkout that has not reached the saga by then.
 */
export async function awaitCreatedOrder(wait: OrderCreationWait, checkoutId: string, who: Principal) {
  const { saga, statements } = wait;
  const db = wait.runtime.db;
  const deadline = Date.now() + wait.waitMs;
  // The saga as its run in this process has just committed it, when that is what woke the wait, or as the run
  // that drives it now last wrote it: not read again.
  let known: Awaited<ReturnType<typeof saga.waitForChange>> = saga.driven(checkoutId) ?? false;
  let handedOut = false;
  for (;;) {
    const checkout =
      typeof known === "object" ? known : await statements.readCheckout.executeTakeFirst(db, { checkoutId });
    known = false;
    const remaining = deadline - Date.now();
    if (!checkout) {
      // The cart's checked_out event may not have reached the saga yet: wait for it a little.
      if (remaining > 0) {
        known = await saga.waitForChange(checkoutId, remaining);
        if (known) continue;
      }
      throw fail.notFound(`checkout ${checkoutId}`);
    }
    if (who.role !== "admin" && checkout.customer_id !== who.customerId) throw fail.notFound(`checkout ${checkoutId}`);
    const terminal = isTerminal(checkout.state);
    if (!terminal && remaining > 0) {
      // Woken only when the saga ends (or stops), not at each of its steps; handed the order when the write
      // that paid it claimed it for this call.
      const woken = await saga.waitForOrder(checkoutId, remaining);
      if (woken.order) return answer(wait, woken.order, true);
      handedOut = woken.handedOut;
      known = woken.result;
      continue;
    }
    if (checkout.state === "FAILED") {
      throw new OrderProblem(
        409,
        "checkout_failed",
        "The checkout failed",
        `Checkout ${checkoutId} failed at ${checkout.failure_step}: ${checkout.failure_code}. ${checkout.failure_message ?? ""}`.trim(),
      );
    }
    const order = await claimed(wait, checkout.order_id, handedOut);
    if (order) return order;
    return {
      status: 202 as const,
      body: checkoutResource(checkout),
      headers: { location: `/checkouts/${checkoutId}`, "retry-after": "1" },
      // The contract: a 202 is not stored against the Idempotency-Key; the retry gets the final answer.
      replayable: false,
    };
  }
}

/**
 * The order of checkout's saga, handed out as 201 the first time and 200 after (one order per checkout), or
 * undefined while there is none. `handedOut`: a committed write is known to have handed it out already, so it is
 * only read (a claim would change nothing).
 */
async function claimed(wait: OrderCreationWait, orderId: string, handedOut: boolean) {
  const { runtime, statements } = wait;
  const { db } = runtime;
  // The claim returns the row it changed, so the first answer reads the order once (and its lines, which never
  // change, usually from memory: the saga has just written them).
  const first = handedOut
    ? undefined
    : await statements.claimOrder.executeTakeFirst(db, { orderId, claimedAt: runtime.clock.now().toISOString() });
  const order = first ?? (await statements.readOrder.executeTakeFirst(db, { orderId }));
  return order && answer(wait, order, first !== undefined);
}

/** The answer with `order`: 201 when this call handed it out, 200 when an earlier one did. */
async function answer({ runtime, statements }: OrderCreationWait, order: Selectable<OrdersTable>, handedOut: boolean) {
  const body = orderResource({ order, items: await statements.readItems(runtime.db, order.order_id) });
  return handedOut
    ? { status: 201 as const, body, headers: { location: `/orders/${order.order_id}` } }
    : { status: 200 as const, body };
}
