import { Code, ConnectError } from "@connectrpc/connect";
import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, fail, type Principal, type ServiceError } from "../platform/index.js";
import type { CheckoutSaga } from "./checkout-saga.js";
import { isTerminal } from "./checkout-saga-rules.js";
import { type Actor, advanceOrderRow, cancelOrderRow, loadOrderRecord, recordStatusChange } from "./order-records.js";
import { type FulfilmentTarget, planCancel, planStatusChange } from "./order-status.js";
import { type OrderRecord, orderPaidPayload, protoMoney } from "./order-views.js";
import { type CancellationSnapshot, correlationOf, type OrderDatabase } from "./store.js";

/**
 * What customers and admins do to an order through the REST API: cancel it, pay it, move it along fulfilment.
 * Each works under the lock of the order's checkout, so it never races the Checkout Saga, and changes the order
 * with conditional updates, so it never races the fulfilment events either.
 */

type Runtime = ContextRuntime<OrderDatabase>;

/** A business refusal that the contract gives its own problem code and status (e.g. 402 `card_declined`). */
export class OrderProblem extends Error {
  override name = "OrderProblem";
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

function actorOf(principal: Principal): Actor {
  return { kind: principal.role, customerId: principal.customerId };
}

/** The order `orderId` as `principal` may see it: another customer's order is not found, like a missing one. */
export async function visibleOrder(runtime: Runtime, orderId: string, principal: Principal): Promise<OrderRecord> {
  const record = await loadOrderRecord(runtime.db, orderId);
  if (!record || (principal.role !== "admin" && record.order.customer_id !== principal.customerId)) {
    throw fail.notFound(`order ${orderId}`);
  }
  return record;
}

async function sagaRunning(runtime: Runtime, checkoutId: string): Promise<boolean> {
  const checkout = await runtime.db
    .selectFrom("checkouts")
    .select("state")
    .where("checkout_id", "=", checkoutId)
    .executeTakeFirst();
  return checkout !== undefined && !isTerminal(checkout.state);
}

/**
 * A Connect failure of a dependency as the REST caller should see it. Unanswered, the call may still have been made
 * (its answer lost on the way back: a refund given, a hold released, a capture taken), so the caller is told only what is sure: the
 * order is unchanged, and asking again is safe (every call here is idempotent, by key or by payment or reservation).
 */
function dependencyFailure(what: string, error: unknown): ServiceError {
  const connectError = ConnectError.from(error);
  if (connectError.code === Code.Unavailable || connectError.code === Code.DeadlineExceeded) {
    return fail.unavailable(
      `${what} did not answer, so it may have been done; the order is unchanged. Try again in a moment: asking again does it at most once.`,
      5,
    );
  }
  return fail.conflict(`${what} was refused (${connectError.rawMessage}); the order is unchanged.`);
}

/**
 * Cancel an order: a PENDING one has its authorization voided and its stock released; a PAID one (admins only) is
 * refunded in full, and its stock released if it was not yet committed. Canceling a CANCELED order changes nothing.
 */
export async function cancelOrder(
  runtime: Runtime,
  saga: CheckoutSaga,
  input: {
    readonly orderId: string;
    readonly principal: Principal;
    readonly reason: CancellationSnapshot["reason"];
    readonly note?: string | undefined;
  },
): Promise<OrderRecord> {
  const first = await visibleOrder(runtime, input.orderId, input.principal);
  // A running saga holds its checkout's lock until it ends; answer now rather than wait for it.
  const early = planCancel(
    first.order.status,
    input.principal.role,
    await sagaRunning(runtime, first.order.checkout_id),
  );
  if (early.kind === "conflict")
    throw fail.conflict(`Order ${first.order.order_id} cannot be canceled: ${early.message}.`);
  return saga.withLock(first.order.checkout_id, async () => {
    const { order } = await visibleOrder(runtime, input.orderId, input.principal);
    const plan = planCancel(order.status, input.principal.role, await sagaRunning(runtime, order.checkout_id));
    if (plan.kind === "unchanged") return (await loadOrderRecord(runtime.db, order.order_id))!;
    if (plan.kind === "forbidden")
      throw fail.forbidden(`Order ${order.order_id} is PAID; ask support to cancel it with a refund.`);
    if (plan.kind === "conflict") throw fail.conflict(`Order ${order.order_id} cannot be canceled: ${plan.message}.`);

    let refund: CancellationSnapshot["refund"];
    let releaseStock = false;
    if (plan.kind === "refund") {
      const answer = await runtime.rpc.payment
        .refund({
          paymentId: order.payment_id,
          amount: protoMoney(order.total, order.currency),
          reason: paymentV1.RefundReason.ORDER_CANCELED,
          // One cancellation refund per order: a retried cancel repeats the key and gets the same refund back.
          idempotencyKey: `${order.order_id}:cancel-refund`,
        })
        .catch((error: unknown) => {
          throw dependencyFailure("The refund", error);
        });
      if (answer.refundStatus === paymentV1.RefundStatus.FAILED) {
        throw fail.conflict(
          `The refund of order ${order.order_id} was refused (${answer.failure?.message ?? "no reason given"}); it is still PAID.`,
        );
      }
      refund = { refundId: answer.refundId, amount: order.total };
      const checkout = await runtime.db
        .selectFrom("checkouts")
        .select("stock_commit")
        .where("checkout_id", "=", order.checkout_id)
        .executeTakeFirst();
      // Stock already committed is sold: putting it back is an inventory adjustment, which order may not call.
      releaseStock = checkout?.stock_commit === "PENDING";
    } else {
      await runtime.rpc.payment
        .void({ paymentId: order.payment_id, reason: paymentV1.VoidReason.ORDER_CANCELED })
        .catch((error: unknown) => {
          throw dependencyFailure("Voiding the authorization", error);
        });
      releaseStock = true;
    }
    if (releaseStock) {
      await runtime.rpc.inventory
        .releaseStock({ reservationId: order.reservation_id, reason: inventoryV1.ReleaseReason.ORDER_CANCELED })
        .catch((error: unknown) => {
          const connectError = ConnectError.from(error);
          if (connectError.code === Code.Unavailable) throw dependencyFailure("Releasing the stock", error);
          // Committed or lapsed meanwhile: nothing left to release.
          runtime.log.warn("the stock of a canceled order was not released", {
            orderId: order.order_id,
            error: connectError.message,
          });
        });
    }

    const previousStatus = order.status as "PENDING" | "PAID";
    const canceled = await runtime.db.transaction().execute(async (trx) => {
      if (releaseStock && previousStatus === "PAID") {
        await trx
          .updateTable("checkouts")
          .set({ stock_commit: "FAILED", updated_at: runtime.clock.now().toISOString() })
          .where("checkout_id", "=", order.checkout_id)
          .where("stock_commit", "=", "PENDING")
          .execute();
      }
      return cancelOrderRow(trx, runtime, order.order_id, {
        expectedStatus: previousStatus,
        cancellation: {
          reason: input.reason,
          ...(input.note ? { note: input.note } : {}),
          canceledBy: actorOf(input.principal),
          previousStatus,
          ...(refund ? { refund } : {}),
        },
        historyReason: refund ? "Canceled and refunded." : "Canceled.",
      });
    });
    if (canceled === undefined) {
      throw fail.conflict(`Order ${order.order_id} changed while it was being canceled; read it and try again.`);
    }
    return (await loadOrderRecord(runtime.db, order.order_id))!;
  });
}

const DECLINES: Readonly<Partial<Record<paymentV1.PaymentFailureCode, readonly [string, string]>>> = {
  [paymentV1.PaymentFailureCode.CARD_DECLINED]: ["card_declined", "The card was declined"],
  [paymentV1.PaymentFailureCode.INSUFFICIENT_FUNDS]: ["insufficient_funds", "The card has insufficient funds"],
  [paymentV1.PaymentFailureCode.EXPIRED_CARD]: ["expired_card", "The card has expired"],
};

function declined(orderId: string, paymentId: string, failure: paymentV1.PaymentFailure | undefined): Error {
  const known = failure ? DECLINES[failure.code] : undefined;
  if (!known) {
    return fail.unavailable(
      `Payment ${paymentId} could not be completed (${failure?.message ?? "no reason given"}); order ${orderId} is still PENDING. Try again.`,
      5,
    );
  }
  return new OrderProblem(
    402,
    known[0],
    known[1],
    `Payment ${paymentId} was declined; order ${orderId} is still PENDING. Try again with another paymentToken.`,
  );
}

/**
 * Pay a PENDING order: capture its authorization, or with `paymentToken` authorize and capture that card and void
 * the old authorization. A paid order is returned unchanged.
 */
export async function payOrder(
  runtime: Runtime,
  saga: CheckoutSaga,
  input: { readonly orderId: string; readonly principal: Principal; readonly paymentToken?: string | undefined },
): Promise<OrderRecord> {
  const first = await visibleOrder(runtime, input.orderId, input.principal);
  if (first.order.status === "PENDING" && (await sagaRunning(runtime, first.order.checkout_id))) {
    throw fail.conflict(`Order ${first.order.order_id} is still being paid by its checkout; try again in a moment.`);
  }
  return saga.withLock(first.order.checkout_id, async () => {
    const record = await visibleOrder(runtime, input.orderId, input.principal);
    const { order } = record;
    if (order.status === "CANCELED") throw fail.conflict(`Order ${order.order_id} is CANCELED; it cannot be paid.`);
    if (order.status !== "PENDING") return record;
    if (await sagaRunning(runtime, order.checkout_id)) {
      throw fail.conflict(`Order ${order.order_id} is still being paid by its checkout; try again in a moment.`);
    }

    let paymentId = order.payment_id;
    if (input.paymentToken) {
      const authorization = await runtime.rpc.payment
        .authorize({
          subject: { case: "orderId", value: order.order_id },
          amount: protoMoney(order.total, order.currency),
          paymentToken: input.paymentToken,
          // Only the order's customer's own cards: another customer's token is refused like one never issued.
          customerId: order.customer_id,
          idempotencyKey: `${order.order_id}:pay:${input.paymentToken}`,
          correlationId: correlationOf(order),
        })
        .catch((error: unknown) => {
          // A token that is not this customer's is, to them, a token that does not exist.
          if (ConnectError.from(error).code === Code.InvalidArgument)
            throw fail.notFound("card of this order's customer with that paymentToken");
          throw dependencyFailure("The authorization", error);
        });
      if (authorization.status !== paymentV1.PaymentStatus.AUTHORIZED) {
        throw declined(order.order_id, authorization.paymentId, authorization.failure);
      }
      paymentId = authorization.paymentId;
    }
    const capture = await runtime.rpc.payment.capture({ paymentId }).catch((error: unknown) => {
      throw dependencyFailure("The capture", error);
    });
    if (capture.status !== paymentV1.PaymentStatus.CAPTURED) throw declined(order.order_id, paymentId, capture.failure);
    if (paymentId !== order.payment_id) {
      await runtime.rpc.payment
        .void({ paymentId: order.payment_id, reason: paymentV1.VoidReason.REQUESTED_BY_CUSTOMER })
        .catch((error: unknown) =>
          runtime.log.warn("the replaced authorization of a paid order was not voided", {
            orderId: order.order_id,
            paymentId: order.payment_id,
            error: String(error),
          }),
        );
    }

    await runtime.db.transaction().execute(async (trx) => {
      const now = runtime.clock.now().toISOString();
      const paid = await trx
        .updateTable("orders")
        .set({ status: "PAID", payment_id: paymentId, paid_at: now, updated_at: now })
        .where("order_id", "=", order.order_id)
        .where("status", "=", "PENDING")
        .executeTakeFirst();
      if (paid.numUpdatedRows !== 1n) return;
      await recordStatusChange(trx, order.order_id, {
        from: "PENDING",
        to: "PAID",
        at: now,
        actor: actorOf(input.principal),
        reason: "Payment captured.",
      });
      const updated = (await loadOrderRecord(trx, order.order_id))!;
      await runtime.outbox.publish(trx, "ecommerce.order.order.paid.v1", orderPaidPayload(updated, now), {
        partitionKey: order.order_id,
        correlationId: correlationOf(order),
        causationId: order.created_event_id,
      });
      // The saga commits the stock of a paid order; let it.
      await trx
        .updateTable("checkouts")
        .set({ stock_commit: "PENDING", updated_at: now })
        .where("checkout_id", "=", order.checkout_id)
        .execute();
    });
    saga.kick(order.checkout_id);
    return (await loadOrderRecord(runtime.db, order.order_id))!;
  });
}

/** Move an order one step along fulfilment by hand (admins only); setting the status it has changes nothing. */
export async function updateOrderStatus(
  runtime: Runtime,
  input: {
    readonly orderId: string;
    readonly principal: Principal;
    readonly status: FulfilmentTarget;
    readonly carrier?: string | undefined;
    readonly trackingNumber?: string | undefined;
    readonly note?: string | undefined;
  },
): Promise<OrderRecord> {
  if (input.principal.role !== "admin") throw fail.forbidden("Only an admin may set an order's status.");
  const { order } = await visibleOrder(runtime, input.orderId, input.principal);
  const plan = planStatusChange(order.status, input.status, "admin");
  if (plan.kind === "invalid") {
    throw new OrderProblem(
      409,
      "invalid_transition",
      "The order cannot move to that status",
      `Order ${order.order_id} is not moved to ${input.status}: ${plan.message}.`,
    );
  }
  if (plan.kind === "move") {
    if (input.status === "SHIPPED" && (!input.carrier || !input.trackingNumber)) {
      throw fail.validation("/body/carrier", "and trackingNumber are required to set SHIPPED");
    }
    const moved = await runtime.db.transaction().execute((trx) =>
      advanceOrderRow(trx, runtime, order.order_id, input.status, {
        actor: actorOf(input.principal),
        reason: input.note ?? `Set to ${input.status} by an admin.`,
        at: runtime.clock.now().toISOString(),
        carrier: input.carrier,
        trackingNumber: input.trackingNumber,
      }),
    );
    if (moved === 0) throw fail.conflict(`Order ${order.order_id} changed meanwhile; read it and try again.`);
  }
  return (await loadOrderRecord(runtime.db, order.order_id))!;
}
