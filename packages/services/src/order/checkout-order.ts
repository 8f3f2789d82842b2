import type { Selectable, Transaction } from "kysely";
import { keptAddress } from "../platform/address-tuple.js";
import type { ContextRuntime } from "../platform/index.js";
import { readPricing } from "./checkout-pricing.js";
import { mergeLines } from "./checkout-saga-rules.js";
import { statusChangeRow } from "./order-records.js";
import type { OrderStatements } from "./order-statements.js";
import { type OrderRecord, orderCreatedPayload, orderPaidPayload } from "./order-views.js";
import {
  BILLED_TO_SHIPPING,
  type CheckoutLine,
  type CheckoutsTable,
  CLAIMED_WHEN_PAID,
  correlationOf,
  type OrderDatabase,
  type OrdersTable,
  UPDATED_WITH_STATUS,
} from "./store.js";

/**
 * The order rows the Checkout Saga writes, each in the transaction that records its step's success: the order when
 * create_order succeeds, its payment when capture_payment does. The saga knows every value it writes, so it builds
 * the events from those values instead of reading back the rows it has just written.
 */

type Runtime = ContextRuntime<OrderDatabase>;
type Checkout = Selectable<CheckoutsTable>;
type Trx = Transaction<OrderDatabase>;
type Order = Selectable<OrdersTable>;

/** What writing the saga's order needs: the store's runtime and its compiled statements. */
export interface OrderWritePorts {
  readonly runtime: Runtime;
  readonly statements: OrderStatements;
}

/**
 * Write the order of `checkout` (PENDING, its items, its first history line) and publish order.created. Resolves to
 * the event's id. The saga calls it in the transaction that records create_order's success, under the version it
 * read, so the order is written exactly once without looking for it first (the unique checkout_id guards it too).
 */
export async function writeCreatedOrder(
  trx: Trx,
  { runtime, statements }: OrderWritePorts,
  checkout: Checkout,
): Promise<string> {
  const pricing = readPricing(checkout.pricing_json);
  if (!pricing || !checkout.payment_id || !checkout.reservation_id) {
    throw new Error(`checkout ${checkout.checkout_id} reached create_order without its pricing and payment`);
  }
  const now = runtime.clock.now().toISOString();
  const lines = mergeLines(JSON.parse(checkout.items_json) as CheckoutLine[]);
  const subtotal = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
  const coupon = pricing.appliedPromotions.find((promotion) => promotion.couponCode)?.couponCode;
  // By product in a snapshot written before products were kept in the lines' order.
  const titles = new Map(pricing.products.map((product) => [product.productId, product]));
  const productOf = (line: CheckoutLine, index: number) => titles.get(line.productId) ?? pricing.products[index];
  const shippingAddress = keptAddress(pricing.shippingAddress);
  const billingAddress = pricing.billingAddress ? keptAddress(pricing.billingAddress) : shippingAddress;
  const record: OrderRecord = {
    order: {
      order_id: checkout.order_id,
      checkout_id: checkout.checkout_id,
      customer_id: checkout.customer_id,
      status: "PENDING",
      currency: checkout.currency,
      subtotal,
      discount: pricing.discount,
      // No shipping or tax rules exist in any context yet: both are zero and the total is what was authorized.
      shipping: 0,
      tax: 0,
      total: subtotal - pricing.discount,
      coupon_code: coupon ?? checkout.coupon_code ?? null,
      applied_promotions_json: JSON.stringify(pricing.appliedPromotions),
      shipping_address_json: shippingAddress,
      billing_address_json: billingAddress === shippingAddress ? BILLED_TO_SHIPPING : billingAddress,
      payment_id: checkout.payment_id,
      reservation_id: checkout.reservation_id,
      shipment_json: null,
      fulfilment_id: null,
      cancellation_json: null,
      // Kept as the checkout keeps it: the same checkout, so the same id when it is kept as the checkout's own.
      correlation_id: checkout.correlation_id,
      created_event_id: "",
      claimed_at: null,
      created_at: now,
      updated_at: now,
      paid_at: null,
      fulfilled_at: null,
      shipped_at: null,
      delivered_at: null,
      canceled_at: null,
    },
    items: lines.map((line, index) => ({
      order_id: checkout.order_id,
      position: index + 1,
      product_id: line.productId,
      isbn: productOf(line, index)?.isbn ?? "",
      title: productOf(line, index)?.title ?? "",
      quantity: line.quantity,
      unit_price: line.unitPrice,
      line_total: line.unitPrice * line.quantity,
    })),
  };
  // Published first so the order row is written once, already naming its order.created event.
  const eventId = await runtime.outbox.publish(trx, "ecommerce.order.order.created.v1", orderCreatedPayload(record), {
    partitionKey: checkout.order_id,
    correlationId: correlationOf(checkout),
    causationId: checkout.last_event_id,
  });
  await statements.insertOrder.execute(trx, { ...record.order, created_event_id: eventId });
  await statements.insertItems(trx, record.items);
  await statements.insertHistory.execute(
    trx,
    statusChangeRow(checkout.order_id, 1, {
      from: null,
      to: "PENDING",
      at: now,
      actor: { kind: "system" },
      reason: "Created by the Checkout Saga.",
      causationId: checkout.cause_event_id,
    }),
  );
  // Its lines never change: capture_payment's order.paid and POST /orders read them from memory once this commits,
  // and capture_payment's write knows the order as written.
  const inserted: Order = { ...record.order, created_event_id: eventId };
  runtime.afterCommit(trx, () => statements.rememberItems(checkout.order_id, record.items, inserted));
  return eventId;
}

/**
 * Mark the order of `checkout` PAID at `now` (when it is still PENDING) with its history line and order.paid, then
 * publish checkout.completed. Resolves to the last event's id. With `handOut`, the same update hands the order out
 * (claims it, when nobody has) and gives it to `handOut` once this commits.
 */
export async function writePaidOrder(
  trx: Trx,
  { runtime, statements }: OrderWritePorts,
  checkout: Checkout,
  now: string,
  handOut?: (order: Order) => void,
): Promise<string> {
  const { order_id: orderId } = checkout;
  const values = { orderId, paidAt: now };
  const claimed = handOut !== undefined && (await statements.payAndClaimOrder.executeChanges(trx, values)) === 1n;
  const paid = claimed || (await statements.payOrder.executeChanges(trx, values)) === 1n;
  // The order as paid: a PENDING order changes only by this write while its saga runs, so the row this process
  // inserted, with what this write changed, is the row now; read only when it is not remembered (a restart) or not
  // paid here.
  const inserted = paid ? statements.insertedOrder(orderId) : undefined;
  const order: Order | undefined = inserted
    ? {
        ...inserted,
        status: "PAID",
        paid_at: now,
        updated_at: UPDATED_WITH_STATUS,
        ...(claimed ? { claimed_at: CLAIMED_WHEN_PAID } : {}),
      }
    : await statements.readOrder.executeTakeFirst(trx, { orderId });
  if (!order) throw new Error(`checkout ${checkout.checkout_id} captured without an order`);
  if (claimed) runtime.afterCommit(trx, () => handOut?.(order));
  let lastEventId = checkout.last_event_id;
  if (paid) {
    const items = await statements.readItems(trx, order.order_id);
    await statements.insertHistory.execute(
      trx,
      // A PENDING order has only the line it was created with: nothing moves an order back to PENDING.
      statusChangeRow(order.order_id, 2, {
        from: "PENDING",
        to: "PAID",
        at: now,
        actor: { kind: "system" },
        reason: "Payment captured.",
        causationId: order.created_event_id,
      }),
    );
    lastEventId = await runtime.outbox.publish(
      trx,
      "ecommerce.order.order.paid.v1",
      orderPaidPayload({ order, items }, now),
      {
        partitionKey: order.order_id,
        correlationId: correlationOf(checkout),
        causationId: order.created_event_id,
      },
    );
  }
  return runtime.outbox.publish(
    trx,
    "ecommerce.order.checkout.completed.v1",
    {
      checkoutId: checkout.checkout_id,
      cartId: checkout.cart_id,
      customerId: checkout.customer_id,
      orderId: checkout.order_id,
      paymentId: order.payment_id,
      total: { amount: order.total, currency: order.currency },
      completedAt: now,
    },
    { partitionKey: checkout.checkout_id, correlationId: correlationOf(checkout), causationId: lastEventId },
  );
}
