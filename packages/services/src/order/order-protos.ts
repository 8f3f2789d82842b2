import { create } from "@bufbuild/protobuf";
import type { orderApi } from "@ecom/sdk";
import { orderV1 } from "@ecom/sdk/rpc";
import { enumNames, protoAddressOf, protoMoneyOf, protoTimeIfAny, protoTimeOf } from "../platform/index.js";

/** order.yaml's resources as order.proto's messages, for the RPCs that answer with what REST answered. */

type Schemas = orderApi.components["schemas"];
const { OrderStatus, CancellationReason, CheckoutState, SagaStepName, SagaStepStatus } = orderV1;

/** Each contract OrderStatus and its proto value. */
export const ORDER_STATUS: Readonly<Record<Schemas["OrderStatus"], orderV1.OrderStatus>> = {
  PENDING: OrderStatus.PENDING,
  PAID: OrderStatus.PAID,
  FULFILLED: OrderStatus.FULFILLED,
  SHIPPED: OrderStatus.SHIPPED,
  DELIVERED: OrderStatus.DELIVERED,
  CANCELED: OrderStatus.CANCELED,
};
/** The contract name of a proto OrderStatus (a validation error for UNSPECIFIED). */
export const orderStatusName = enumNames(ORDER_STATUS);

/** The statuses an admin may set by hand (UpdateOrderStatusRequest's enum); any other is invalid_argument. */
const MANUAL_STATUS: Readonly<Record<Schemas["UpdateOrderStatusRequest"]["status"], orderV1.OrderStatus>> = {
  FULFILLED: OrderStatus.FULFILLED,
  SHIPPED: OrderStatus.SHIPPED,
  DELIVERED: OrderStatus.DELIVERED,
};
/** The contract name of a status set by hand (a validation error for any other). */
export const manualStatusName = enumNames(MANUAL_STATUS);

/** Each contract CancellationReason and its proto value. */
export const CANCELLATION_REASON: Readonly<Record<Schemas["CancellationReason"], orderV1.CancellationReason>> = {
  customer_request: CancellationReason.CUSTOMER_REQUEST,
  payment_failed: CancellationReason.PAYMENT_FAILED,
  out_of_stock: CancellationReason.OUT_OF_STOCK,
  fraud_suspected: CancellationReason.FRAUD_SUSPECTED,
  duplicate_order: CancellationReason.DUPLICATE_ORDER,
  other: CancellationReason.OTHER,
};
/** The contract name of a proto CancellationReason (a validation error for UNSPECIFIED). */
export const cancellationReasonName = enumNames(CANCELLATION_REASON);

const ACTOR_KIND: Readonly<Record<Schemas["Actor"]["kind"], orderV1.Actor_Kind>> = {
  customer: orderV1.Actor_Kind.CUSTOMER,
  admin: orderV1.Actor_Kind.ADMIN,
  system: orderV1.Actor_Kind.SYSTEM,
};
const CHECKOUT_STATE: Readonly<Record<Schemas["CheckoutState"], orderV1.CheckoutState>> = {
  STARTED: CheckoutState.STARTED,
  RESERVING_STOCK: CheckoutState.RESERVING_STOCK,
  CALCULATING_DISCOUNT: CheckoutState.CALCULATING_DISCOUNT,
  AUTHORIZING_PAYMENT: CheckoutState.AUTHORIZING_PAYMENT,
  CREATING_ORDER: CheckoutState.CREATING_ORDER,
  CAPTURING_PAYMENT: CheckoutState.CAPTURING_PAYMENT,
  COMPLETED: CheckoutState.COMPLETED,
  COMPENSATING: CheckoutState.COMPENSATING,
  FAILED: CheckoutState.FAILED,
};
const STEP_NAME: Readonly<Record<Schemas["SagaStep"]["name"], orderV1.SagaStepName>> = {
  reserve_stock: SagaStepName.RESERVE_STOCK,
  calculate_discount: SagaStepName.CALCULATE_DISCOUNT,
  authorize_payment: SagaStepName.AUTHORIZE_PAYMENT,
  create_order: SagaStepName.CREATE_ORDER,
  capture_payment: SagaStepName.CAPTURE_PAYMENT,
};
const STEP_STATUS: Readonly<Record<Schemas["SagaStep"]["status"], orderV1.SagaStepStatus>> = {
  PENDING: SagaStepStatus.PENDING,
  SUCCEEDED: SagaStepStatus.SUCCEEDED,
  FAILED: SagaStepStatus.FAILED,
  COMPENSATED: SagaStepStatus.COMPENSATED,
};

function protoActor(actor: Schemas["Actor"]): orderV1.Actor {
  return create(orderV1.ActorSchema, { kind: ACTOR_KIND[actor.kind], customerId: actor.customerId ?? "" });
}

function protoCancellation(cancellation: Schemas["Cancellation"]): orderV1.Cancellation {
  return create(orderV1.CancellationSchema, {
    reason: CANCELLATION_REASON[cancellation.reason],
    note: cancellation.note ?? "",
    canceledBy: protoActor(cancellation.canceledBy),
    previousStatus: ORDER_STATUS[cancellation.previousStatus],
    ...(cancellation.refund
      ? { refund: { refundId: cancellation.refund.refundId, amount: protoMoneyOf(cancellation.refund.amount) } }
      : {}),
  });
}

/** The contract's Order as the proto Order. */
export function protoOrder(order: Schemas["Order"]): orderV1.Order {
  return create(orderV1.OrderSchema, {
    orderId: order.orderId,
    customerId: order.customerId,
    checkoutId: order.checkoutId,
    status: ORDER_STATUS[order.status],
    currency: order.currency,
    items: order.items.map((item) => ({
      productId: item.productId,
      isbn: item.isbn,
      title: item.title,
      quantity: item.quantity,
      unitPrice: protoMoneyOf(item.unitPrice),
      lineTotal: protoMoneyOf(item.lineTotal),
    })),
    subtotal: protoMoneyOf(order.subtotal),
    discount: protoMoneyOf(order.discount),
    shipping: protoMoneyOf(order.shipping),
    tax: protoMoneyOf(order.tax),
    total: protoMoneyOf(order.total),
    couponCode: order.couponCode ?? "",
    appliedPromotions: order.appliedPromotions.map((promotion) => ({
      promotionId: promotion.promotionId,
      couponCode: promotion.couponCode ?? "",
      description: promotion.description ?? "",
      discount: protoMoneyOf(promotion.discount),
    })),
    shippingAddress: protoAddressOf(order.shippingAddress),
    billingAddress: protoAddressOf(order.billingAddress),
    paymentId: order.paymentId ?? "",
    ...(order.shipment
      ? {
          shipment: {
            shipmentId: order.shipment.shipmentId,
            carrier: order.shipment.carrier,
            trackingNumber: order.shipment.trackingNumber,
            estimatedDeliveryDate: order.shipment.estimatedDeliveryDate ?? "",
          },
        }
      : {}),
    ...(order.cancellation ? { cancellation: protoCancellation(order.cancellation) } : {}),
    correlationId: order.correlationId,
    createdAt: protoTimeOf(order.createdAt),
    updatedAt: protoTimeOf(order.updatedAt),
    paidAt: protoTimeIfAny(order.paidAt),
    fulfilledAt: protoTimeIfAny(order.fulfilledAt),
    shippedAt: protoTimeIfAny(order.shippedAt),
    deliveredAt: protoTimeIfAny(order.deliveredAt),
    canceledAt: protoTimeIfAny(order.canceledAt),
  });
}

/** The contract's OrderSummary as the proto one. */
export function protoOrderSummary(summary: Schemas["OrderSummary"]): orderV1.OrderSummary {
  return create(orderV1.OrderSummarySchema, {
    orderId: summary.orderId,
    customerId: summary.customerId,
    status: ORDER_STATUS[summary.status],
    itemCount: summary.itemCount,
    total: protoMoneyOf(summary.total),
    createdAt: protoTimeOf(summary.createdAt),
    updatedAt: protoTimeOf(summary.updatedAt),
  });
}

/** The contract's StatusChange as the proto one. */
export function protoStatusChange(change: Schemas["StatusChange"]): orderV1.StatusChange {
  return create(orderV1.StatusChangeSchema, {
    sequence: change.sequence,
    from: change.from === undefined ? OrderStatus.UNSPECIFIED : ORDER_STATUS[change.from],
    to: ORDER_STATUS[change.to],
    changedAt: protoTimeOf(change.changedAt),
    actor: protoActor(change.actor),
    reason: change.reason ?? "",
    causationId: change.causationId ?? "",
  });
}

/** The contract's Checkout as the proto one. */
export function protoCheckout(checkout: Schemas["Checkout"]): orderV1.Checkout {
  return create(orderV1.CheckoutSchema, {
    checkoutId: checkout.checkoutId,
    cartId: checkout.cartId,
    customerId: checkout.customerId,
    state: CHECKOUT_STATE[checkout.state],
    steps: checkout.steps.map((step) => ({
      name: STEP_NAME[step.name],
      status: STEP_STATUS[step.status],
      attempts: step.attempts,
      startedAt: protoTimeIfAny(step.startedAt),
      finishedAt: protoTimeIfAny(step.finishedAt),
      compensatedAt: protoTimeIfAny(step.compensatedAt),
      detail: step.detail ?? "",
    })),
    orderId: checkout.orderId ?? "",
    reservationId: checkout.reservationId ?? "",
    paymentId: checkout.paymentId ?? "",
    ...(checkout.total ? { total: protoMoneyOf(checkout.total) } : {}),
    ...(checkout.failure
      ? {
          failure: {
            code: checkout.failure.code,
            message: checkout.failure.message,
            step: STEP_NAME[checkout.failure.step],
          },
        }
      : {}),
    correlationId: checkout.correlationId,
    startedAt: protoTimeOf(checkout.startedAt),
    updatedAt: protoTimeOf(checkout.updatedAt),
    finishedAt: protoTimeIfAny(checkout.finishedAt),
  });
}
