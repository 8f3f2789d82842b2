import { Code } from "@connectrpc/connect";
import { paymentV1 } from "@ecom/sdk/rpc";
import type { Selectable, Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { type SagaCall, TRANSIENT } from "./checkout-calls.js";
import { refundCapture } from "./checkout-refund.js";
import {
  type CheckoutFailureCode,
  type CheckoutStepName,
  cancellationReasonFor,
  FAILURE_MESSAGES,
  messageAfterRefund,
  pendingCompensations,
  releaseReasonFor,
} from "./checkout-saga-rules.js";
import { type CheckoutStep, changeSteps, stepStatuses } from "./checkout-step-log.js";
import type { CheckoutChanges } from "./checkout-steps.js";
import { cancelOrderRow } from "./order-records.js";
import { compensationsOf } from "./order-views.js";
import {
  type CheckoutsTable,
  type CompensationRecord,
  correlationOf,
  type OrderDatabase,
  type StockCommitState,
} from "./store.js";

/**
 * The saga's way back and its last chore: undoing what a failed checkout still holds (the authorization, then the
 * order, then the stock: pendingCompensations says why the money goes first), and turning a paid order's reservation
 * into a sale.
 */

type Checkout = Selectable<CheckoutsTable>;
type Trx = Transaction<OrderDatabase>;

/** What compensating needs of the runner. */
export interface CompensationPorts {
  readonly runtime: ContextRuntime<OrderDatabase>;
  readonly call: SagaCall;
  /** Change the saga if nobody else did since `checkout` was read; resolves to the saga as changed. */
  transition(
    checkout: Checkout,
    changes: CheckoutChanges,
    more?: (trx: Trx) => Promise<CheckoutChanges | undefined>,
  ): Promise<Checkout>;
  /** Run the saga again later (a persisted due time): a dependency it needs does not answer. */
  redrive(checkoutId: string, why: string): Promise<void>;
}

/**
 * Undo the latest thing still owed; when nothing is owed, end the saga FAILED and say why. Resolves to the saga as
 * changed, or undefined when the runner should stop (ended, or waiting for a dependency).
 */
export async function compensate(ports: CompensationPorts, checkout: Checkout): Promise<Checkout | undefined> {
  const { runtime, call } = ports;
  const steps = stepStatuses(checkout);
  // Only a created order can be owed a cancel; whether it still is, its row says (payOrder or a refund move it too).
  const order =
    steps.create_order === "SUCCEEDED"
      ? await runtime.db
          .selectFrom("orders")
          .select("status")
          .where("order_id", "=", checkout.order_id)
          .executeTakeFirst()
      : undefined;
  const owed = pendingCompensations({
    steps,
    orderStatus: order?.status,
    paymentId: checkout.payment_id,
    reservationId: checkout.reservation_id,
  });
  const next = owed[0];
  const now = runtime.clock.now().toISOString();
  if (!next) {
    await ports.transition(checkout, { state: "FAILED", finished_at: now }, async (trx) => {
      const eventId = await runtime.outbox.publish(
        trx,
        "ecommerce.order.checkout.failed.v1",
        {
          checkoutId: checkout.checkout_id,
          cartId: checkout.cart_id,
          customerId: checkout.customer_id,
          failure: {
            code: (checkout.failure_code ?? "processor_error") as CheckoutFailureCode,
            message: checkout.failure_message ?? FAILURE_MESSAGES.processor_error,
            step: (checkout.failure_step ?? "reserve_stock") as CheckoutStepName,
          },
          compensations: compensationsOf(checkout),
          failedAt: now,
        },
        {
          partitionKey: checkout.checkout_id,
          correlationId: correlationOf(checkout),
          causationId: checkout.last_event_id,
        },
      );
      return { last_event_id: eventId };
    });
    runtime.log.info("checkout failed", { checkoutId: checkout.checkout_id, code: checkout.failure_code });
    return undefined;
  }

  if (next.action === "cancel_order") {
    return ports.transition(checkout, {}, async (trx) => {
      const eventId = await cancelOrderRow(trx, runtime, checkout.order_id, {
        expectedStatus: "PENDING",
        cancellation: {
          reason: cancellationReasonFor(checkout.failure_code),
          ...(checkout.failure_message ? { note: checkout.failure_message.slice(0, 500) } : {}),
          canceledBy: { kind: "system" },
          previousStatus: "PENDING",
        },
        historyReason: `The Checkout Saga failed at ${checkout.failure_step}: ${checkout.failure_code}.`,
        causationId: checkout.last_event_id,
      });
      return eventId ? { last_event_id: eventId } : undefined;
    });
  }

  const undo =
    next.action === "void_payment"
      ? {
          step: "authorize_payment" as const,
          dependency: "payment",
          call: (options: { headers: Readonly<Record<string, string>> }) =>
            runtime.rpc.payment.void(
              { paymentId: next.paymentId, reason: paymentV1.VoidReason.CHECKOUT_FAILED },
              options,
            ),
          record: { action: "void_payment" as const, paymentId: next.paymentId },
          done: `Authorization ${next.paymentId} voided.`,
        }
      : {
          step: "reserve_stock" as const,
          dependency: "inventory",
          call: (options: { headers: Readonly<Record<string, string>> }) =>
            runtime.rpc.inventory.releaseStock(
              { reservationId: next.reservationId, reason: releaseReasonFor(checkout.failure_step) },
              options,
            ),
          record: { action: "release_stock" as const, reservationId: next.reservationId },
          done: `Reservation ${next.reservationId} released.`,
        };
  const result = await call<unknown>(checkout, undefined, undo.dependency, undo.call);
  let detail = undo.done;
  if (!result.ok) {
    if (TRANSIENT.has(result.error.code)) {
      // Compensations are retried until they succeed: leave the saga COMPENSATING and come back later.
      await ports.redrive(checkout.checkout_id, `${undo.dependency}: ${result.error.rawMessage}`);
      return undefined;
    }
    if (next.action === "void_payment" && result.error.code === Code.FailedPrecondition) {
      return refundInsteadOfVoid(ports, checkout, now);
    }
    // not_found: there is nothing to undo. failed_precondition: it can no longer be undone this way (a
    // committed reservation, a captured payment); say so loudly and go on with the rest.
    if (result.error.code !== Code.NotFound) {
      runtime.log.error("a checkout compensation was refused", {
        checkoutId: checkout.checkout_id,
        action: undo.record.action,
        error: result.error.message,
      });
    }
    detail = `${undo.done.replace(/\.$/, "")} was refused (${Code[result.error.code]}: ${result.error.rawMessage}).`;
  }
  const compensations: CompensationRecord[] = [...compensationsOf(checkout), { ...undo.record, completedAt: now }];
  return ports.transition(checkout, {
    compensations_json: JSON.stringify(compensations),
    ...changeSteps(checkout, {
      [undo.step]: (step: CheckoutStep) => ({ ...step, status: "COMPENSATED", compensated_at: now, detail }),
    }),
  });
}

/**
 * Payment refused to void `checkout`'s payment because the money was taken: a capture went through whose answer never
 * reached the saga (every try of capture_payment met a payment that did not answer), so the step failed with the
 * money captured. A refund gives it back (one per checkout, by its key) and undoes the payment step; the failure's
 * compensations list only voids and releases, so the refund is told in the step's detail and by payment.refunded.
 */
async function refundInsteadOfVoid(ports: CompensationPorts, checkout: Checkout, now: string) {
  const refund = await refundCapture(ports.runtime, ports.call, checkout, undefined);
  if (refund.state === "later") {
    await ports.redrive(checkout.checkout_id, refund.why);
    return undefined;
  }
  const paymentId = checkout.payment_id;
  const detail =
    refund.state === "refunded"
      ? `Payment ${paymentId} had been captured; refunded as ${refund.refundId}.`
      : `Payment ${paymentId} had been captured and its refund was refused (${refund.why}); refund it by hand.`;
  const failure = checkout.failure_message ?? FAILURE_MESSAGES.processor_error;
  return ports.transition(checkout, {
    // Told to the customer by checkout.failed: the failure no longer says nothing was charged.
    failure_message: messageAfterRefund(failure, refund.state === "refunded"),
    ...changeSteps(checkout, {
      authorize_payment: (step: CheckoutStep) => ({ ...step, status: "COMPENSATED", compensated_at: now, detail }),
    }),
  });
}

/**
 * Turn the reservation of `checkout`'s paid order into a sale (CommitStock is idempotent by reservation id): COMMITTED,
 * FAILED when inventory refused it for good (the hold lapsed: logged, the order is paid for stock inventory no longer
 * holds for it), or PENDING when inventory did not answer (`why`), for the saga to try again later.
 */
export async function commitReservation(
  runtime: ContextRuntime<OrderDatabase>,
  call: SagaCall,
  checkout: Checkout,
): Promise<{ readonly state: StockCommitState; readonly why?: string }> {
  const result = await call(checkout, undefined, "inventory", (options) =>
    runtime.rpc.inventory.commitStock(
      { reservationId: checkout.reservation_id ?? "", orderId: checkout.order_id },
      options,
    ),
  );
  if (result.ok) return { state: "COMMITTED" };
  if (TRANSIENT.has(result.error.code)) return { state: "PENDING", why: `inventory: ${result.error.rawMessage}` };
  runtime.log.error("the stock of a paid order could not be committed", {
    checkoutId: checkout.checkout_id,
    orderId: checkout.order_id,
    reservationId: checkout.reservation_id,
    error: result.error.message,
  });
  return { state: "FAILED" };
}

/** Turn the paid order's reservation into a sale. Resolves to the saga as changed, or undefined to stop for now. */
export async function commitStock(ports: CompensationPorts, checkout: Checkout): Promise<Checkout | undefined> {
  const { state, why } = await commitReservation(ports.runtime, ports.call, checkout);
  if (state === "PENDING") {
    await ports.redrive(checkout.checkout_id, why ?? "inventory did not answer");
    return undefined;
  }
  return ports.transition(checkout, { stock_commit: state });
}
