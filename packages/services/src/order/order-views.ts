import type { MessagePayloads, orderApi } from "@ecom/sdk";
import type { Selectable } from "kysely";
import { addressOf } from "../platform/address-tuple.js";
import { readSteps } from "./checkout-step-log.js";
import { historyReasonOf } from "./history-reasons.js";
import {
  type AddressSnapshot,
  BILLED_TO_SHIPPING,
  type CancellationSnapshot,
  type CheckoutsTable,
  type CompensationRecord,
  correlationOf,
  type OrderItemsTable,
  type OrderStatusHistoryTable,
  type OrdersTable,
  type PromotionSnapshot,
  type ShipmentSnapshot,
  updatedAtOf,
} from "./store.js";

/**
 * Conversions between the order store's rows and the shapes the contracts define: REST resources
 * (contracts/openapi/order.yaml) and event payloads (contracts/asyncapi/order.yaml). Optional fields are left out
 * rather than set to undefined or null, since both contracts forbid nulls and extra properties.
 */

type Schemas = orderApi.components["schemas"];
/** An order as `GET /orders/{orderId}` returns it. */
export type OrderResource = Schemas["Order"];
/** A saga as `GET /checkouts/{checkoutId}` returns it. */
export type CheckoutResource = Schemas["Checkout"];
/** A line of `GET /orders`. */
export type OrderSummaryResource = Schemas["OrderSummary"];
/** A line of `GET /orders/{orderId}/history`. */
export type StatusChangeResource = Schemas["StatusChange"];
/** JSON money: integer minor units and a currency. */
export type Money = Schemas["Money"];

/** An order row with its items. */
export interface OrderRecord {
  readonly order: Selectable<OrdersTable>;
  readonly items: readonly Selectable<OrderItemsTable>[];
}

/** JSON money of `amount` minor units. */
export function money(amount: number, currency: string): Money {
  return { amount, currency };
}

/** Protobuf money (the init shape Connect clients take) of `amount` minor units. */
export function protoMoney(amount: number, currency: string): { amountMinor: bigint; currency: string } {
  return { amountMinor: BigInt(amount), currency };
}

/** Minor units of protobuf money (int64 as bigint); amounts beyond 2^53 are not money anyone pays. */
export function minorUnits(value: { readonly amountMinor: bigint } | undefined): number {
  return value ? Number(value.amountMinor) : 0;
}

/** A protobuf address as the JSON Address, empty optional fields left out. */
export function addressFromProto(address: {
  name: string;
  line1: string;
  line2: string;
  city: string;
  region: string;
  postalCode: string;
  country: string;
  phone: string;
}): AddressSnapshot {
  return {
    name: address.name,
    line1: address.line1,
    ...(address.line2 ? { line2: address.line2 } : {}),
    city: address.city,
    ...(address.region ? { region: address.region } : {}),
    postalCode: address.postalCode,
    country: address.country,
    ...(address.phone ? { phone: address.phone } : {}),
  };
}

function promotions(order: Selectable<OrdersTable>): Schemas["AppliedPromotion"][] {
  return (JSON.parse(order.applied_promotions_json) as PromotionSnapshot[]).map((promotion) => ({
    promotionId: promotion.promotionId,
    ...(promotion.couponCode ? { couponCode: promotion.couponCode } : {}),
    ...(promotion.description ? { description: promotion.description } : {}),
    discount: money(promotion.discount, order.currency),
  }));
}

/** The promotions as events carry them (no description). */
function eventPromotions(order: Selectable<OrdersTable>) {
  return promotions(order).map(({ description: _description, ...promotion }) => promotion);
}

function items(record: OrderRecord): Schemas["OrderItem"][] {
  return record.items.map((item) => ({
    productId: item.product_id,
    isbn: item.isbn,
    title: item.title,
    quantity: item.quantity,
    unitPrice: money(item.unit_price, record.order.currency),
    lineTotal: money(item.line_total, record.order.currency),
  }));
}

/** The order's shipment for REST, when fulfilment gave it an id (OrderShipment requires one). */
function shipment(order: Selectable<OrdersTable>): Schemas["OrderShipment"] | undefined {
  if (!order.shipment_json) return undefined;
  const snapshot = JSON.parse(order.shipment_json) as ShipmentSnapshot;
  if (!snapshot.shipmentId || !snapshot.carrier || !snapshot.trackingNumber) return undefined;
  return {
    shipmentId: snapshot.shipmentId,
    carrier: snapshot.carrier,
    trackingNumber: snapshot.trackingNumber,
    ...(snapshot.estimatedDeliveryDate ? { estimatedDeliveryDate: snapshot.estimatedDeliveryDate } : {}),
  };
}

function cancellation(order: Selectable<OrdersTable>): Schemas["Cancellation"] | undefined {
  if (!order.cancellation_json) return undefined;
  const snapshot = JSON.parse(order.cancellation_json) as CancellationSnapshot;
  return {
    reason: snapshot.reason,
    ...(snapshot.note ? { note: snapshot.note } : {}),
    canceledBy: snapshot.canceledBy,
    previousStatus: snapshot.previousStatus,
    ...(snapshot.refund
      ? { refund: { refundId: snapshot.refund.refundId, amount: money(snapshot.refund.amount, order.currency) } }
      : {}),
  };
}

const optional = <TKey extends string>(key: TKey, value: string | null) =>
  (value === null ? {} : { [key]: value }) as Partial<Record<TKey, string>>;

/** The REST Order. */
export function orderResource(record: OrderRecord): OrderResource {
  const { order } = record;
  const orderShipment = shipment(order);
  const orderCancellation = cancellation(order);
  return {
    orderId: order.order_id,
    customerId: order.customer_id,
    checkoutId: order.checkout_id,
    status: order.status as OrderResource["status"],
    currency: order.currency,
    items: items(record),
    subtotal: money(order.subtotal, order.currency),
    discount: money(order.discount, order.currency),
    shipping: money(order.shipping, order.currency),
    tax: money(order.tax, order.currency),
    total: money(order.total, order.currency),
    ...optional("couponCode", order.coupon_code),
    appliedPromotions: promotions(order),
    shippingAddress: addressOf(order.shipping_address_json),
    billingAddress: addressOf(
      order.billing_address_json === BILLED_TO_SHIPPING ? order.shipping_address_json : order.billing_address_json,
    ),
    paymentId: order.payment_id,
    ...(orderShipment ? { shipment: orderShipment } : {}),
    ...(orderCancellation ? { cancellation: orderCancellation } : {}),
    correlationId: correlationOf(order),
    createdAt: order.created_at,
    updatedAt: updatedAtOf(order),
    ...optional("paidAt", order.paid_at),
    ...optional("fulfilledAt", order.fulfilled_at),
    ...optional("shippedAt", order.shipped_at),
    ...optional("deliveredAt", order.delivered_at),
    ...optional("canceledAt", order.canceled_at),
  };
}

/** A line of the order list. */
export function orderSummary(order: Selectable<OrdersTable>, itemCount: number): OrderSummaryResource {
  return {
    orderId: order.order_id,
    customerId: order.customer_id,
    status: order.status as OrderSummaryResource["status"],
    itemCount,
    total: money(order.total, order.currency),
    createdAt: order.created_at,
    updatedAt: updatedAtOf(order),
  };
}

/** A line of the status history. */
export function statusChange(row: Selectable<OrderStatusHistoryTable>): StatusChangeResource {
  return {
    sequence: row.sequence,
    ...(row.from_status === null ? {} : { from: row.from_status as StatusChangeResource["to"] }),
    to: row.to_status as StatusChangeResource["to"],
    changedAt: row.changed_at,
    actor: {
      kind: row.actor_kind as StatusChangeResource["actor"]["kind"],
      ...(row.actor_customer_id === null ? {} : { customerId: row.actor_customer_id }),
    },
    ...optional("reason", historyReasonOf(row)),
    ...optional("causationId", row.causation_id),
  };
}

/** The REST Checkout: the saga's state and every step, the order once it exists, and the failure when it failed. */
export function checkoutResource(checkout: Selectable<CheckoutsTable>): CheckoutResource {
  return {
    checkoutId: checkout.checkout_id,
    cartId: checkout.cart_id,
    customerId: checkout.customer_id,
    state: checkout.state as CheckoutResource["state"],
    steps: readSteps(checkout).map((step) => ({
      name: step.name as CheckoutResource["steps"][number]["name"],
      status: step.status as CheckoutResource["steps"][number]["status"],
      attempts: step.attempts,
      ...optional("startedAt", step.started_at),
      ...optional("finishedAt", step.finished_at),
      ...optional("compensatedAt", step.compensated_at),
      ...(step.detail === null ? {} : { detail: step.detail.slice(0, 500) }),
    })),
    orderId: checkout.order_id,
    ...optional("reservationId", checkout.reservation_id),
    ...optional("paymentId", checkout.payment_id),
    ...(checkout.total === null ? {} : { total: money(checkout.total, checkout.currency) }),
    ...(checkout.failure_code === null
      ? {}
      : {
          failure: {
            code: checkout.failure_code as Schemas["CheckoutFailureCode"],
            message: checkout.failure_message ?? "",
            step: checkout.failure_step as Schemas["CheckoutFailure"]["step"],
          },
        }),
    correlationId: correlationOf(checkout),
    startedAt: checkout.started_at,
    updatedAt: checkout.updated_at,
    ...optional("finishedAt", checkout.finished_at),
  };
}

/** The payload of order.created. */
export function orderCreatedPayload(record: OrderRecord): MessagePayloads["ecommerce.order.order.created.v1"] {
  const { order } = record;
  return {
    orderId: order.order_id,
    checkoutId: order.checkout_id,
    customerId: order.customer_id,
    status: "PENDING",
    currency: order.currency,
    items: items(record),
    subtotal: money(order.subtotal, order.currency),
    discount: money(order.discount, order.currency),
    shipping: money(order.shipping, order.currency),
    tax: money(order.tax, order.currency),
    total: money(order.total, order.currency),
    ...optional("couponCode", order.coupon_code),
    appliedPromotions: eventPromotions(order),
    shippingAddress: addressOf(order.shipping_address_json),
    paymentId: order.payment_id,
    createdAt: order.created_at,
  };
}

/** The payload of order.paid. */
export function orderPaidPayload(
  record: OrderRecord,
  paidAt: string,
): MessagePayloads["ecommerce.order.order.paid.v1"] {
  const { order } = record;
  return {
    orderId: order.order_id,
    checkoutId: order.checkout_id,
    customerId: order.customer_id,
    paymentId: order.payment_id,
    currency: order.currency,
    items: items(record),
    subtotal: money(order.subtotal, order.currency),
    discount: money(order.discount, order.currency),
    shipping: money(order.shipping, order.currency),
    tax: money(order.tax, order.currency),
    total: money(order.total, order.currency),
    ...optional("couponCode", order.coupon_code),
    appliedPromotions: eventPromotions(order),
    shippingAddress: addressOf(order.shipping_address_json),
    paidAt,
  };
}

/** The payload of order.canceled. */
export function orderCanceledPayload(
  record: OrderRecord,
  snapshot: CancellationSnapshot,
  canceledAt: string,
): MessagePayloads["ecommerce.order.order.canceled.v1"] {
  const { order } = record;
  return {
    orderId: order.order_id,
    customerId: order.customer_id,
    previousStatus: snapshot.previousStatus,
    reason: snapshot.reason,
    ...(snapshot.note ? { note: snapshot.note } : {}),
    canceledBy: snapshot.canceledBy,
    items: items(record),
    total: money(order.total, order.currency),
    ...optional("couponCode", order.coupon_code),
    appliedPromotions: eventPromotions(order),
    paymentId: order.payment_id,
    ...(snapshot.refund
      ? { refund: { refundId: snapshot.refund.refundId, amount: money(snapshot.refund.amount, order.currency) } }
      : {}),
    canceledAt,
  };
}

/** The compensations as checkout.failed carries them. */
export function compensationsOf(checkout: Selectable<CheckoutsTable>): CompensationRecord[] {
  return JSON.parse(checkout.compensations_json) as CompensationRecord[];
}
