import type { orderApi } from "@ecom/sdk";
import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import type { CheckoutLine } from "./store.js";

/**
 * The Checkout Saga as pure rules: its steps, which state each runs in, what the runner does next from a persisted
 * state, and which compensations are still owed. The runner (checkout-saga.ts) does the I/O; everything it decides
 * comes from here, so resuming after a crash is the same decision as going on without one.
 */

/** The saga's steps, in the order they run (contracts/openapi/order.yaml#/components/schemas/SagaStep). */
export const CHECKOUT_STEPS = [
  "reserve_stock",
  "calculate_discount",
  "authorize_payment",
  "create_order",
  "capture_payment",
] as const;

/** One of {@link CHECKOUT_STEPS}. */
export type CheckoutStepName = (typeof CHECKOUT_STEPS)[number];
/** Where a saga stands. */
export type CheckoutState = orderApi.components["schemas"]["CheckoutState"];
/** Where one step stands. */
export type StepStatus = orderApi.components["schemas"]["SagaStep"]["status"];
/** Why a checkout failed. */
export type CheckoutFailureCode = orderApi.components["schemas"]["CheckoutFailureCode"];

/**
 * Steps that act on nothing outside the order store: each runs in the transaction that records the success of the
 * step before it, since there is no outside effect to record a start for.
 */
export const LOCAL_STEPS: ReadonlySet<CheckoutStepName> = new Set(["create_order"]);

/**
 * Steps that change nothing outside the saga (calculate_discount only reads the catalog, the customer's addresses and
 * the promotions): a run that dies in one leaves nothing to undo, so its start is not written before it acts. The
 * success of the step before it is written with its own result instead (or with its first retry, or its failure):
 * one write of the saga fewer per checkout. A run that dies meanwhile finds the step before still running and runs
 * it again, which its idempotent call makes safe, as after a crash just before that step's result was written.
 */
export const READ_ONLY_STEPS: ReadonlySet<CheckoutStepName> = new Set(["calculate_discount"]);

/** The step after `step`, or undefined after the last. */
export function stepAfter(step: CheckoutStepName): CheckoutStepName | undefined {
  return CHECKOUT_STEPS[CHECKOUT_STEPS.indexOf(step) + 1];
}

/** The state a saga is in while a step runs. */
export const STEP_STATE: Readonly<Record<CheckoutStepName, CheckoutState>> = {
  reserve_stock: "RESERVING_STOCK",
  calculate_discount: "CALCULATING_DISCOUNT",
  authorize_payment: "AUTHORIZING_PAYMENT",
  create_order: "CREATING_ORDER",
  capture_payment: "CAPTURING_PAYMENT",
};

/** True for COMPLETED and FAILED, the states a saga ends in. */
export function isTerminal(state: string): boolean {
  return state === "COMPLETED" || state === "FAILED";
}

/** The state after `step` succeeded: the next step's, or COMPLETED after the last. */
export function stateAfter(step: CheckoutStepName): CheckoutState {
  const next = stepAfter(step);
  return next ? STEP_STATE[next] : "COMPLETED";
}

/** Lines with each product once (ReserveStock and CalculateDiscount refuse repeats), quantities summed. */
export function mergeLines(lines: readonly CheckoutLine[]): CheckoutLine[] {
  const merged = new Map<string, CheckoutLine>();
  for (const line of lines) {
    const seen = merged.get(line.productId);
    merged.set(line.productId, seen ? { ...seen, quantity: seen.quantity + line.quantity } : line);
  }
  return [...merged.values()];
}

/** What the runner does next. */
export type SagaAction =
  | { readonly kind: "run"; readonly step: CheckoutStepName }
  | { readonly kind: "compensate" }
  | { readonly kind: "commit_stock" }
  | { readonly kind: "none" };

/**
 * The next action for a saga as persisted. A step's state is written before the step acts, so a saga found in a
 * step's state (after a crash, say) runs that step again; every step is idempotent, so that is safe.
 */
export function nextAction(checkout: { readonly state: string; readonly stockCommit: string | null }): SagaAction {
  switch (checkout.state) {
    case "STARTED":
      return { kind: "run", step: "reserve_stock" };
    case "COMPENSATING":
      return { kind: "compensate" };
    case "COMPLETED":
    case "FAILED":
      // An order was paid (by the saga, or later by payOrder): turning the reservation into a sale is owed until
      // it is done or refused for good.
      return checkout.stockCommit === "PENDING" ? { kind: "commit_stock" } : { kind: "none" };
    default: {
      const step = CHECKOUT_STEPS.find((name) => STEP_STATE[name] === checkout.state);
      return step ? { kind: "run", step } : { kind: "none" };
    }
  }
}

/** An undo the saga owes. */
export type CompensationAction =
  | { readonly action: "cancel_order" }
  | { readonly action: "void_payment"; readonly paymentId: string }
  | { readonly action: "release_stock"; readonly reservationId: string };

/**
 * The compensations still owed by a failing saga, in the order they are made: the authorization first (if one was
 * granted), then the order (if one was created and is not yet canceled), then the stock (if it was held). The money
 * goes first because only the void tells what became of it (a capture whose answer was lost took it, and is refunded
 * instead): the order's cancellation, written after, says so to the customer instead of guessing. A step that was
 * undone is COMPENSATED, so a resumed compensation never undoes twice. A declined authorization holds nothing, so it
 * is not voided; a reservation that came back UNAVAILABLE holds nothing, so it is not released.
 */
export function pendingCompensations(checkout: {
  readonly steps: Readonly<Partial<Record<CheckoutStepName, StepStatus>>>;
  readonly orderStatus: string | undefined;
  readonly paymentId: string | null;
  readonly reservationId: string | null;
}): CompensationAction[] {
  const owed: CompensationAction[] = [];
  if (checkout.steps.authorize_payment === "SUCCEEDED" && checkout.paymentId) {
    owed.push({ action: "void_payment", paymentId: checkout.paymentId });
  }
  if (checkout.steps.create_order === "SUCCEEDED" && checkout.orderStatus === "PENDING") {
    owed.push({ action: "cancel_order" });
  }
  if (checkout.steps.reserve_stock === "SUCCEEDED" && checkout.reservationId) {
    owed.push({ action: "release_stock", reservationId: checkout.reservationId });
  }
  return owed;
}

/** Why stock is given back, from where the saga failed: inventory records and publishes it. */
export function releaseReasonFor(failedStep: string | null): inventoryV1.ReleaseReason {
  return failedStep === "authorize_payment" || failedStep === "capture_payment"
    ? inventoryV1.ReleaseReason.PAYMENT_FAILED
    : inventoryV1.ReleaseReason.CHECKOUT_FAILED;
}

/** The checkout failure code of a payment failure. */
export function failureCodeOfPayment(code: paymentV1.PaymentFailureCode | undefined): CheckoutFailureCode {
  switch (code) {
    case paymentV1.PaymentFailureCode.CARD_DECLINED:
      return "card_declined";
    case paymentV1.PaymentFailureCode.INSUFFICIENT_FUNDS:
      return "insufficient_funds";
    case paymentV1.PaymentFailureCode.EXPIRED_CARD:
      return "expired_card";
    case paymentV1.PaymentFailureCode.PROCESSOR_UNAVAILABLE:
      return "processor_unavailable";
    default:
      // processor_error, authorization_expired (no checkout code of its own) and anything unknown.
      return "processor_error";
  }
}

/** What to tell the customer for each failure: safe to show, and saying what to do. */
export const FAILURE_MESSAGES: Readonly<Record<CheckoutFailureCode, string>> = {
  out_of_stock: "Some items are out of stock; nothing was charged. Your cart is unchanged.",
  coupon_invalid: "The coupon no longer applies; nothing was charged. Remove it or try another.",
  address_not_found: "The shipping address was not found; nothing was charged. Choose another address.",
  card_declined: "Your card was declined. Try another card; your cart is unchanged.",
  insufficient_funds: "Your card has insufficient funds. Try another card; your cart is unchanged.",
  expired_card: "Your card has expired. Try another card; your cart is unchanged.",
  processor_error: "The payment could not be processed; nothing was charged. Try again or use another card.",
  processor_unavailable: "A service we depend on did not answer; nothing was charged. Try again in a moment.",
  reservation_expired: "The items were held for too long and were released; nothing was charged. Check out again.",
  inventory_unavailable: "Stock could not be checked; nothing was charged. Try again in a moment.",
};

/** What a failure message says of the customer's money when nothing was taken. */
const NOTHING_CHARGED = "nothing was charged";

/**
 * `message` (a failure's message) once the saga found the payment had been taken after all (a capture whose answer
 * never arrived) and refunded it, or could not: it no longer says nothing was charged.
 */
export function messageAfterRefund(message: string, refunded: boolean): string {
  const said = refunded
    ? "the payment taken was refunded"
    : "the payment taken could not be refunded at once; contact support to have it refunded";
  return message.includes(NOTHING_CHARGED) ? message.replace(NOTHING_CHARGED, said) : `${message} (${said})`;
}

/** The order's cancellation reason when a saga cancels the order it created. */
export function cancellationReasonFor(code: string | null): "out_of_stock" | "payment_failed" | "other" {
  if (code === "reservation_expired" || code === "out_of_stock") return "out_of_stock";
  if (code === null) return "other";
  return code === "coupon_invalid" || code === "address_not_found" || code === "inventory_unavailable"
    ? "other"
    : "payment_failed";
}
