import { Code } from "@connectrpc/connect";
import { paymentV1 } from "@ecom/sdk/rpc";
import type { Selectable } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { type SagaCall, TRANSIENT } from "./checkout-calls.js";
import type { CheckoutStepName } from "./checkout-saga-rules.js";
import { protoMoney } from "./order-views.js";
import type { CheckoutsTable, OrderDatabase } from "./store.js";

/**
 * Giving back money a failed checkout took. A capture the saga cannot keep (its hold lapsed before the capture was
 * recorded, or its answer never arrived and the step failed) cannot be voided: payment refuses, and only a refund
 * returns it. Both ways ask with one key per checkout, so however often a run dies and asks again, the customer gets
 * one refund.
 */

/** How asking for the refund ended. */
export type CaptureRefund =
  | { readonly state: "refunded"; readonly refundId: string }
  /** Payment did not answer: ask again later, since failing now would keep the customer's money. */
  | { readonly state: "later"; readonly why: string }
  /** Payment (or its processor) refused: someone must refund it by hand. */
  | { readonly state: "refused"; readonly why: string };

/** The one refund key of a checkout. */
export function refundKeyOf(checkoutId: string): string {
  return `${checkoutId}:lapsed-refund`;
}

/**
 * Refund the whole of `checkout`'s captured payment, counting retries as attempts of `step` when given. A refusal is
 * logged as an error (money taken for an order that is not sold, and not given back).
 */
export async function refundCapture(
  runtime: ContextRuntime<OrderDatabase>,
  call: SagaCall,
  checkout: Selectable<CheckoutsTable>,
  step: CheckoutStepName | undefined,
): Promise<CaptureRefund> {
  const paymentId = checkout.payment_id ?? "";
  const refunded = await call(checkout, step, "payment", (options) =>
    runtime.rpc.payment.refund(
      {
        paymentId,
        amount: protoMoney(checkout.total ?? checkout.subtotal, checkout.currency),
        reason: paymentV1.RefundReason.ORDER_CANCELED,
        idempotencyKey: refundKeyOf(checkout.checkout_id),
      },
      options,
    ),
  );
  if (!refunded.ok && TRANSIENT.has(refunded.error.code)) {
    return { state: "later", why: `payment: ${refunded.error.rawMessage}` };
  }
  if (refunded.ok && refunded.value.refundStatus !== paymentV1.RefundStatus.FAILED) {
    return { state: "refunded", refundId: refunded.value.refundId };
  }
  const why = refunded.ok
    ? (refunded.value.failure?.message ?? "the processor refused it")
    : `${Code[refunded.error.code]}: ${refunded.error.rawMessage}`;
  runtime.log.error("a capture the checkout could not keep was not refunded", {
    checkoutId: checkout.checkout_id,
    paymentId,
    why,
  });
  return { state: "refused", why };
}
