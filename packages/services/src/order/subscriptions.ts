import type { Selectable } from "kysely";
import type { ContextParts, ContextRuntime } from "../platform/index.js";
import type { CheckoutSaga } from "./checkout-saga.js";
import { isTerminal } from "./checkout-saga-rules.js";
import { NEW_STEPS, withFirstStepBegun } from "./checkout-step-log.js";
import { advanceOrderRow, cancelOrderRow, type FulfilmentFacts } from "./order-records.js";
import type { OrderStatements } from "./order-statements.js";
import { type FulfilmentTarget, planStatusChange } from "./order-status.js";
import {
  type CancellationSnapshot,
  type CheckoutLine,
  type CheckoutsTable,
  CORRELATED_BY_CHECKOUT,
  type OrderDatabase,
} from "./store.js";

type Runtime = ContextRuntime<OrderDatabase>;
type Subscriptions = NonNullable<ContextParts<OrderDatabase>["subscriptions"]>;

const REFUND_CANCELLATION: Readonly<Record<string, CancellationSnapshot["reason"]>> = {
  fraudulent: "fraud_suspected",
  duplicate: "duplicate_order",
  requested_by_customer: "customer_request",
};

/**
 * The events order consumes (contracts/contexts.yaml): a checked-out cart starts a saga; a lapsed reservation stops
 * one before it charges; a full refund made outside order cancels the paid order; fulfilment moves paid orders on.
 * Each runs in the transaction that moves order's cursor past the event, so an event takes effect once: a crash
 * undoes both, and an event the cursor has passed is not delivered again.
 */
export function createSubscriptions(runtime: Runtime, saga: CheckoutSaga, statements: OrderStatements): Subscriptions {
  /** Move an order along fulfilment as an event reports it; a stale or impossible move is logged and skipped. */
  const followFulfilment = async (
    trx: Parameters<NonNullable<Subscriptions["ecommerce.fulfilment.shipment.shipped.v1"]>>[1],
    orderId: string,
    target: FulfilmentTarget,
    facts: FulfilmentFacts,
  ) => {
    const order = await trx.selectFrom("orders").select("status").where("order_id", "=", orderId).executeTakeFirst();
    if (!order) {
      runtime.log.warn("a fulfilment event names an order that does not exist", { orderId, target });
      return;
    }
    const plan = planStatusChange(order.status, target, "system");
    if (plan.kind === "invalid") {
      runtime.log.warn("a fulfilment event cannot move the order", { orderId, target, why: plan.message });
      return;
    }
    if (plan.kind === "move") await advanceOrderRow(trx, runtime, orderId, target, facts);
  };

  return {
    "ecommerce.cart.cart.checked_out.v1": async (message, trx) => {
      const checkout = message.payload;
      const now = runtime.clock.now().toISOString();
      const items: CheckoutLine[] = checkout.items.map((item) => ({
        productId: item.productId,
        quantity: item.quantity,
        unitPrice: item.unitPrice.amount,
      }));
      // Everything the saga will need is copied now, so it never has to ask the cart again, even after a restart. A
      // checkout that has its saga already (the event came again) is left as it is: the insert changes nothing. The
      // row records the start of the saga's first step, so its run acts at once instead of writing that first.
      const row = withFirstStepBegun({
        checkout_id: checkout.checkoutId,
        cart_id: checkout.cartId,
        customer_id: checkout.customerId,
        order_id: runtime.ids.next("ord"),
        correlation_id: message.correlationId === checkout.checkoutId ? CORRELATED_BY_CHECKOUT : message.correlationId,
        cause_event_id: message.eventId,
        last_event_id: message.eventId,
        currency: checkout.currency,
        items_json: JSON.stringify(items),
        subtotal: items.reduce((sum, item) => sum + item.unitPrice * item.quantity, 0),
        shipping_address_id: checkout.shippingAddressId,
        billing_address_id: checkout.billingAddressId ?? null,
        coupon_code: checkout.couponCode ?? null,
        payment_token: checkout.paymentToken,
        state: "STARTED",
        version: 0,
        ...NEW_STEPS,
        reservation_id: null,
        reservation_expires_at: null,
        reservation_expired_at: null,
        pricing_json: null,
        total: null,
        payment_id: null,
        failure_code: null,
        failure_message: null,
        failure_step: null,
        compensations_json: "[]",
        stock_commit: null,
        redrive_at: null,
        started_at: now,
        updated_at: now,
        finished_at: null,
      } satisfies Selectable<CheckoutsTable>);
      if ((await statements.insertCheckout.executeChanges(trx, row)) === 0n) return;
      // The saga runs outside this transaction, once it has committed (a run started inside it would not see the
      // row on another connection of a pool); if it rolls back, no run is asked for.
      runtime.afterCommit(trx, () => {
        saga.notify(checkout.checkoutId);
        saga.kick(checkout.checkoutId, row);
      });
    },

    "ecommerce.inventory.reservation.expired.v1": async (message, trx) => {
      const { checkoutId, reservationId, expiredAt } = message.payload;
      const checkout = await trx
        .selectFrom("checkouts")
        .select(["state", "reservation_id", "stock_commit"])
        .where("checkout_id", "=", checkoutId)
        .executeTakeFirst();
      if (!checkout) return;
      if (!isTerminal(checkout.state)) {
        // The saga must not charge for stock it no longer holds: it checks this before the capture.
        await trx
          .updateTable("checkouts")
          .set({ reservation_expired_at: expiredAt })
          .where("checkout_id", "=", checkoutId)
          .execute();
        runtime.afterCommit(trx, () => saga.kick(checkoutId));
        return;
      }
      if (checkout.stock_commit === "PENDING" && checkout.reservation_id === reservationId) {
        runtime.log.error("the reservation of a paid order expired before its stock was committed", {
          checkoutId,
          reservationId,
        });
      }
    },

    "ecommerce.payment.payment.refunded.v1": async (message, trx) => {
      const refund = message.payload;
      // order_canceled refunds are the ones order asked for when it canceled the order itself.
      if (refund.reason === "order_canceled" || refund.paymentStatus !== "REFUNDED") return;
      const order = await trx
        .selectFrom("orders")
        .select(["order_id", "status"])
        .where("order_id", "=", refund.orderId)
        .where("payment_id", "=", refund.paymentId)
        .executeTakeFirst();
      // A refund of a delivered order (a return) leaves it DELIVERED; only a paid, unshipped order is canceled.
      if (order?.status !== "PAID") return;
      await cancelOrderRow(trx, runtime, order.order_id, {
        expectedStatus: "PAID",
        cancellation: {
          reason: REFUND_CANCELLATION[refund.reason] ?? "other",
          note: `Refunded in full by the payment context (${refund.reason}).`,
          canceledBy: { kind: "system" },
          previousStatus: "PAID",
          refund: { refundId: refund.refundId, amount: refund.amount.amount },
        },
        historyReason: "Refunded in full.",
        causationId: message.eventId,
      });
    },

    "ecommerce.fulfilment.fulfilment.ready_for_shipping.v1": (message, trx) =>
      followFulfilment(trx, message.payload.orderId, "FULFILLED", {
        actor: { kind: "system" },
        reason: "Picked and packed.",
        causationId: message.eventId,
        at: message.payload.packedAt,
        fulfilmentId: message.payload.fulfilmentId,
        shipmentId: message.payload.shipmentId,
      }),

    "ecommerce.fulfilment.shipment.shipped.v1": (message, trx) =>
      followFulfilment(trx, message.payload.orderId, "SHIPPED", {
        actor: { kind: "system" },
        reason: `Shipped with ${message.payload.carrier}.`,
        causationId: message.eventId,
        at: message.payload.shippedAt,
        shipmentId: message.payload.shipmentId,
        carrier: message.payload.carrier,
        trackingNumber: message.payload.trackingNumber,
        trackingUrl: message.payload.trackingUrl,
        estimatedDeliveryDate: message.payload.estimatedDeliveryDate,
      }),

    "ecommerce.fulfilment.shipment.delivered.v1": (message, trx) =>
      followFulfilment(trx, message.payload.orderId, "DELIVERED", {
        actor: { kind: "system" },
        reason: message.payload.signedBy ? `Delivered; signed by ${message.payload.signedBy}.` : "Delivered.",
        causationId: message.eventId,
        at: message.payload.deliveredAt,
        shipmentId: message.payload.shipmentId,
        carrier: message.payload.carrier,
        trackingNumber: message.payload.trackingNumber,
      }),
  };
}
