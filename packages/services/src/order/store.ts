import type { AddressFields } from "../platform/address-tuple.js";

/**
 * The order context's own database: checkouts (the Checkout Saga's state and its steps, one row per checked-out
 * cart), orders with their item snapshots and their status history. No other context opens it.
 *
 * Money columns are integer minor units in the row's `currency`; timestamps are ISO 8601 text; `*_json` columns hold
 * JSON text whose shape is given by the type beside them.
 */

/** One line of a checked-out cart, as the cart priced it. */
export interface CheckoutLine {
  readonly productId: string;
  readonly quantity: number;
  /** Minor units of the checkout's currency. */
  readonly unitPrice: number;
}

/** A postal address as orders and events carry it (contracts/common/schemas.yaml#/Address). */
export type AddressSnapshot = AddressFields;

/** A promotion that reduced the checkout, as CalculateDiscount reported it. */
export interface PromotionSnapshot {
  readonly promotionId: string;
  readonly couponCode?: string;
  readonly description?: string;
  /** Minor units. */
  readonly discount: number;
}

/**
 * What the calculate_discount step learned: product facts, addresses and the discount, snapshotted for the order. It
 * is kept in the saga's row only until create_order, and kept small so the row does not swell meanwhile (a row that
 * grows after later rows were written beside it splits its page, and the page stays half empty once it shrinks).
 */
export interface PricingSnapshot {
  /**
   * The ISBN and title of each of the checkout's lines, in the lines' order (mergeLines). A snapshot written before
   * also names each line's product (`productId`), and is read by it.
   */
  readonly products: readonly { readonly productId?: string; readonly isbn: string; readonly title: string }[];
  readonly discount: number;
  readonly appliedPromotions: readonly PromotionSnapshot[];
  readonly shippingAddress: AddressSnapshot;
  /** Absent when it is the shipping address. */
  readonly billingAddress?: AddressSnapshot;
}

/**
 * `orders.billing_address_json` of an order billed to its shipping address: the address is kept once, in
 * `shipping_address_json` (orders written before keep both copies, and read either way).
 */
export const BILLED_TO_SHIPPING = "";

/**
 * `correlation_id` of a checkout's or an order's row whose correlation id is its checkout's id (a checkout started
 * without a Correlation-Id of its own, as most are): the id is kept once, as `checkout_id` (rows written before keep
 * it twice, and read either way). Read it with {@link correlationOf}.
 */
export const CORRELATED_BY_CHECKOUT = "";

/**
 * `orders.claimed_at` of an order handed out by the write that paid it (the caller of `POST /orders` waiting for the
 * saga): the time is `paid_at`'s, kept once (orders written before keep it twice). Only whether an order was handed
 * out is ever read; ~24 bytes an order, which keeps an order's row small enough for five to share a page.
 */
export const CLAIMED_WHEN_PAID = "";

/**
 * `orders.updated_at` of an order whose last change is the one its status's own time records (`paid_at` of a PAID
 * order): the time is kept once, there (orders written before keep it twice, and read either way). The write that
 * pays an order writes it; every other change writes its time. Read with {@link updatedAtOf}.
 */
export const UPDATED_WITH_STATUS = "";

/** When an order last changed, however its row keeps it. */
export function updatedAtOf(
  order: Pick<
    OrdersTable,
    "updated_at" | "created_at" | "paid_at" | "fulfilled_at" | "shipped_at" | "delivered_at" | "canceled_at"
  >,
): string {
  if (order.updated_at !== UPDATED_WITH_STATUS) return order.updated_at;
  // Times are toISOString() text: the latest is the greatest.
  let latest = order.created_at;
  for (const at of [order.paid_at, order.fulfilled_at, order.shipped_at, order.delivered_at, order.canceled_at])
    if (at !== null && at > latest) latest = at;
  return latest;
}

/** The correlation id of a checkout's or an order's row. */
export function correlationOf(row: { readonly correlation_id: string; readonly checkout_id: string }): string {
  return row.correlation_id === CORRELATED_BY_CHECKOUT ? row.checkout_id : row.correlation_id;
}

/**
 * The sagas still to drive: not ended, or paid with their stock still to commit. Literal SQL, the same in the partial
 * index that holds them (migration 0006) and in the query that looks for them, which the index serves only then.
 */
export const UNFINISHED_CHECKOUT = "state not in ('COMPLETED', 'FAILED') or stock_commit = 'PENDING'";

/** A compensation the saga completed (contracts/asyncapi/order.yaml#/components/schemas/Compensation). */
export interface CompensationRecord {
  readonly action: "release_stock" | "void_payment";
  readonly reservationId?: string;
  readonly paymentId?: string;
  readonly completedAt: string;
}

/** Where committing the reserved stock stands after the order is paid. */
export type StockCommitState = "PENDING" | "COMMITTED" | "FAILED";

/** A Checkout Saga: every input it needs (copied from cart.checked_out) and what each step produced. */
export interface CheckoutsTable {
  checkout_id: string;
  cart_id: string;
  customer_id: string;
  /** Allocated when the saga starts; the order row exists once create_order succeeded. */
  order_id: string;
  /** See {@link CORRELATED_BY_CHECKOUT}. */
  correlation_id: string;
  /** The cart.checked_out event that started the saga. */
  cause_event_id: string;
  /** The last event the saga published, the causation of the next one. */
  last_event_id: string;
  currency: string;
  /** JSON CheckoutLine[]. */
  items_json: string;
  subtotal: number;
  shipping_address_id: string;
  billing_address_id: string | null;
  coupon_code: string | null;
  payment_token: string;
  /** contracts/openapi/order.yaml#/components/schemas/CheckoutState. */
  state: string;
  /** Bumped by every change; a change names the version it read, so two runners can never both advance a saga. */
  version: number;
  /** One letter per step, in the steps' order: P, S, F or C (checkout-step-log.ts). */
  step_statuses: string;
  /** Per step its attempts, times and detail, packed (checkout-step-log.ts). */
  steps_json: string;
  reservation_id: string | null;
  reservation_expires_at: string | null;
  /** Set when inventory reported the reservation expired before the saga finished with it. */
  reservation_expired_at: string | null;
  /** JSON PricingSnapshot, once calculate_discount succeeded. */
  pricing_json: string | null;
  total: number | null;
  payment_id: string | null;
  failure_code: string | null;
  failure_message: string | null;
  failure_step: string | null;
  /** JSON CompensationRecord[], in the order they were done. */
  compensations_json: string;
  stock_commit: StockCommitState | null;
  /** When the saga, waiting for a dependency that did not answer, is to be driven again (the tick does). */
  redrive_at: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

/** Carrier and tracking of the order's shipment, as fulfilment (or an admin) reported them. */
export interface ShipmentSnapshot {
  readonly shipmentId?: string;
  readonly carrier?: string;
  readonly trackingNumber?: string;
  readonly estimatedDeliveryDate?: string;
}

/** An order's cancellation (contracts/openapi/order.yaml#/components/schemas/Cancellation). */
export interface CancellationSnapshot {
  readonly reason:
    | "customer_request"
    | "payment_failed"
    | "out_of_stock"
    | "fraud_suspected"
    | "duplicate_order"
    | "other";
  readonly note?: string;
  readonly canceledBy: { readonly kind: "customer" | "admin" | "system"; readonly customerId?: string };
  readonly previousStatus: "PENDING" | "PAID";
  readonly refund?: { readonly refundId: string; readonly amount: number };
}

/** An order, its totals and its snapshots. */
export interface OrdersTable {
  order_id: string;
  checkout_id: string;
  customer_id: string;
  /** PENDING, PAID, FULFILLED, SHIPPED, DELIVERED or CANCELED. */
  status: string;
  currency: string;
  subtotal: number;
  discount: number;
  shipping: number;
  tax: number;
  total: number;
  coupon_code: string | null;
  /** JSON PromotionSnapshot[]. */
  applied_promotions_json: string;
  /** An AddressSnapshot as platform/address-tuple.ts keeps it (a tuple, or an object written before): `addressOf`. */
  shipping_address_json: string;
  /** As `shipping_address_json`, or {@link BILLED_TO_SHIPPING}. */
  billing_address_json: string;
  payment_id: string;
  reservation_id: string;
  /** JSON ShipmentSnapshot. */
  shipment_json: string | null;
  fulfilment_id: string | null;
  /** JSON CancellationSnapshot. */
  cancellation_json: string | null;
  /** See {@link CORRELATED_BY_CHECKOUT}. */
  correlation_id: string;
  /** The order.created event, the causation of the order's later events. */
  created_event_id: string;
  /**
   * When `POST /orders` first handed the order out (later calls answer 200 instead of 201), or
   * {@link CLAIMED_WHEN_PAID}; null while nobody has.
   */
  claimed_at: string | null;
  created_at: string;
  /** See {@link UPDATED_WITH_STATUS}. */
  updated_at: string;
  paid_at: string | null;
  fulfilled_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  canceled_at: string | null;
}

/** One line of an order, with the product's ISBN, title and price as they were at checkout. */
export interface OrderItemsTable {
  order_id: string;
  position: number;
  product_id: string;
  isbn: string;
  title: string;
  quantity: number;
  unit_price: number;
  line_total: number;
}

/** One status change of an order (contracts/openapi/order.yaml#/components/schemas/StatusChange). */
export interface OrderStatusHistoryTable {
  order_id: string;
  sequence: number;
  from_status: string | null;
  to_status: string;
  changed_at: string;
  actor_kind: string;
  actor_customer_id: string | null;
  /** The reason's text, or null when it is kept as `reason_code` (or there is none). */
  reason: string | null;
  /** A standard reason's place in history-reasons.ts STANDARD_REASONS; read a row's reason with `reasonOf`. */
  reason_code: number | null;
  causation_id: string | null;
}

/** The order context's store. */
export interface OrderDatabase {
  checkouts: CheckoutsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  order_status_history: OrderStatusHistoryTable;
}
