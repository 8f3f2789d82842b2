import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectError } from "@connectrpc/connect";
import { inventoryV1, paymentV1 } from "@ecom/sdk/rpc";
import type { Selectable, Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { createSagaCall, type SagaCall, TRANSIENT } from "./checkout-calls.js";
import { commitReservation } from "./checkout-compensation.js";
import { writeCreatedOrder, writePaidOrder } from "./checkout-order.js";
import { packPricing } from "./checkout-pricing.js";
import { refundCapture } from "./checkout-refund.js";
import {
  type CheckoutFailureCode,
  type CheckoutStepName,
  failureCodeOfPayment,
  mergeLines,
} from "./checkout-saga-rules.js";
import { formatMoney, reservedDetail } from "./checkout-step-details.js";
import { changeSteps, readSteps } from "./checkout-step-log.js";
import type { OrderStatements } from "./order-statements.js";
import { addressFromProto, minorUnits, protoMoney } from "./order-views.js";
import {
  type CheckoutLine,
  type CheckoutsTable,
  correlationOf,
  type OrderDatabase,
  type OrdersTable,
  type PricingSnapshot,
  type PromotionSnapshot,
} from "./store.js";

/**
 * What each step of the Checkout Saga does (checkout-saga.ts records it): the call it makes and what it learned, or
 * why the saga fails. Every call is idempotent by the checkout, so running a step again repeats nothing.
 */

type Runtime = ContextRuntime<OrderDatabase>;
type Checkout = Selectable<CheckoutsTable>;
type Trx = Transaction<OrderDatabase>;

/** Changes of a saga's row, as plain values (what the runner writes and keeps in memory). */
export type CheckoutChanges = Partial<Checkout>;

/** A step's result: the saga goes on (with what the step learned), or fails and compensates. */
export type StepOutcome =
  | {
      readonly ok: true;
      readonly detail: string;
      readonly patch?: CheckoutChanges;
      /** More to write in the transaction that records the success (the order, its events). */
      readonly write?: (trx: Trx, checkout: Checkout) => Promise<CheckoutChanges>;
    }
  | {
      readonly ok: false;
      readonly code: CheckoutFailureCode;
      readonly message?: string;
      readonly detail: string;
      readonly patch?: CheckoutChanges;
    }
  | {
      /**
       * The step cannot tell yet how it ended, and saying it failed could be untrue (a dependency that knows did not
       * answer): the saga stays in the step, which runs again later (a persisted re-drive, or the next start).
       */
      readonly ok: "later";
      readonly why: string;
    };

/** What the steps are given. */
export interface StepPorts {
  readonly runtime: Runtime;
  readonly call: SagaCall;
  readonly statements: OrderStatements;
  /** The `POST /orders` caller the order is to be handed out to when this step pays it, if one waits (order-hand-outs.ts). */
  readonly handOut?: (checkoutId: string) => ((order: Selectable<OrdersTable>) => void) | undefined;
}

const PROMOTION_ID = /^prm_[0-9A-HJKMNP-TV-Z]{26}$/;
const COUPON_CODE = /^[A-Z0-9_-]{3,32}$/;

/** Run `step` of `checkout`. */
export function performStep(ports: StepPorts, checkout: Checkout, step: CheckoutStepName): Promise<StepOutcome> {
  switch (step) {
    case "reserve_stock":
      return reserveStock(ports, checkout);
    case "calculate_discount":
      return calculateDiscount(ports, checkout);
    case "authorize_payment":
      return authorizePayment(ports, checkout);
    case "create_order":
      return Promise.resolve(createOrder(ports, checkout));
    case "capture_payment":
      return capturePayment(ports, checkout);
  }
}

async function reserveStock({ runtime, call }: StepPorts, checkout: Checkout): Promise<StepOutcome> {
  const lines = mergeLines(JSON.parse(checkout.items_json) as CheckoutLine[]);
  const result = await call(checkout, "reserve_stock", "inventory", (options) =>
    runtime.rpc.inventory.reserveStock(
      {
        checkoutId: checkout.checkout_id,
        correlationId: correlationOf(checkout),
        items: lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
        ttlSeconds: 0,
      },
      options,
    ),
  );
  if (!result.ok) {
    return {
      ok: false,
      code: "inventory_unavailable",
      detail: `inventory answered ${Code[result.error.code]}: ${result.error.rawMessage}`,
    };
  }
  const reservation = result.value;
  const { ReservationStatus } = inventoryV1;
  if (reservation.status === ReservationStatus.RESERVED) {
    const expiresAt = reservation.expiresAt ? timestampDate(reservation.expiresAt).toISOString() : null;
    const units = lines.reduce((sum, line) => sum + line.quantity, 0);
    return {
      ok: true,
      detail: reservedDetail(units, reservation.reservationId, expiresAt),
      patch: { reservation_id: reservation.reservationId, reservation_expires_at: expiresAt },
    };
  }
  if (reservation.status === ReservationStatus.UNAVAILABLE) {
    const short = reservation.unavailableItems
      .map((item) => `${item.productId}: ${item.availableQuantity} of ${item.requestedQuantity} available`)
      .join("; ");
    const first = reservation.unavailableItems[0];
    return {
      ok: false,
      code: "out_of_stock",
      ...(first
        ? {
            message: `Only ${first.availableQuantity} of an item ${first.availableQuantity === 1 ? "is" : "are"} left; you asked for ${first.requestedQuantity}. Nothing was charged.`,
          }
        : {}),
      detail: `Out of stock: ${short || "inventory held nothing"}.`,
      patch: { reservation_id: reservation.reservationId || null },
    };
  }
  // A retry after a long pause may find the hold already lapsed (or given back): the stock is no longer ours.
  return {
    ok: false,
    code: "reservation_expired",
    detail: `Reservation ${reservation.reservationId} is ${ReservationStatus[reservation.status]}.`,
    patch: { reservation_id: reservation.reservationId || null },
  };
}

async function calculateDiscount({ runtime, call }: StepPorts, checkout: Checkout): Promise<StepOutcome> {
  const { rpc } = runtime;
  const lines = mergeLines(JSON.parse(checkout.items_json) as CheckoutLine[]);
  const unavailable = (dependency: string, error: ConnectError): StepOutcome => ({
    ok: false,
    code: TRANSIENT.has(error.code) ? "processor_unavailable" : "processor_error",
    ...(TRANSIENT.has(error.code)
      ? { message: "Prices could not be checked right now; nothing was charged. Try again in a moment." }
      : {}),
    detail: `${dependency} answered ${Code[error.code]}: ${error.rawMessage}`,
  });

  const products = await call(checkout, "calculate_discount", "catalog", (options) =>
    rpc.catalog.batchGetProducts({ productIds: lines.map((line) => line.productId) }, options),
  );
  if (!products.ok) return unavailable("catalog", products.error);
  if (products.value.missingProductIds.length > 0) {
    return {
      ok: false,
      code: "out_of_stock",
      message: "An item is no longer sold; nothing was charged. Remove it from your cart.",
      detail: `Not in the catalog: ${products.value.missingProductIds.join(", ")}.`,
    };
  }
  const byId = new Map(products.value.products.map((product) => [product.id, product]));

  const address = async (addressId: string) =>
    call(checkout, "calculate_discount", "customer", (options) =>
      rpc.customer.getAddress({ customerId: checkout.customer_id, addressId }, options),
    );
  const addressFailure = (addressId: string, error: ConnectError): StepOutcome =>
    TRANSIENT.has(error.code)
      ? unavailable("customer", error)
      : {
          ok: false,
          code: "address_not_found",
          detail: `Address ${addressId}: customer answered ${Code[error.code]}: ${error.rawMessage}`,
        };
  const shipping = await address(checkout.shipping_address_id);
  if (!shipping.ok) return addressFailure(checkout.shipping_address_id, shipping.error);
  if (!shipping.value.address) {
    return { ok: false, code: "address_not_found", detail: `Address ${checkout.shipping_address_id} is empty.` };
  }
  let billingAddress = addressFromProto(shipping.value.address);
  const shippingAddress = billingAddress;
  if (checkout.billing_address_id && checkout.billing_address_id !== checkout.shipping_address_id) {
    const billing = await address(checkout.billing_address_id);
    if (!billing.ok) return addressFailure(checkout.billing_address_id, billing.error);
    if (!billing.value.address) {
      return { ok: false, code: "address_not_found", detail: `Address ${checkout.billing_address_id} is empty.` };
    }
    billingAddress = addressFromProto(billing.value.address);
  }

  const quote = await call(checkout, "calculate_discount", "promotion", (options) =>
    rpc.promotion.calculateDiscount(
      {
        customerId: checkout.customer_id,
        currency: checkout.currency,
        couponCode: checkout.coupon_code ?? "",
        items: lines.map((line) => {
          const product = byId.get(line.productId);
          return {
            productId: line.productId,
            categoryIds: [...(product?.categoryIds ?? []), ...(product?.ancestorCategoryIds ?? [])],
            quantity: line.quantity,
            unitPrice: protoMoney(line.unitPrice, checkout.currency),
          };
        }),
      },
      options,
    ),
  );
  if (!quote.ok) return unavailable("promotion", quote.error);
  if (quote.value.couponRejection) {
    const rejection = quote.value.couponRejection;
    return {
      ok: false,
      code: "coupon_invalid",
      ...(rejection.message ? { message: `${rejection.message} Nothing was charged.` } : {}),
      detail: `Coupon ${rejection.code} was refused (${rejection.reason}): ${rejection.message}`,
    };
  }
  const subtotal = lines.reduce((sum, line) => sum + line.unitPrice * line.quantity, 0);
  const discount = Math.min(subtotal, Math.max(0, minorUnits(quote.value.discountTotal)));
  const appliedPromotions: PromotionSnapshot[] = [];
  for (const promotion of quote.value.appliedPromotions) {
    // The order contract takes promotion ids only; a flash sale ("fls_…") still counts in the discount.
    if (!PROMOTION_ID.test(promotion.promotionId)) {
      runtime.log.warn("an applied promotion has no promotion id the order contract accepts; left out", {
        checkoutId: checkout.checkout_id,
        promotionId: promotion.promotionId,
      });
      continue;
    }
    appliedPromotions.push({
      promotionId: promotion.promotionId,
      ...(COUPON_CODE.test(promotion.code) ? { couponCode: promotion.code } : {}),
      ...(promotion.description ? { description: promotion.description.slice(0, 200) } : {}),
      discount: minorUnits(promotion.amount),
    });
  }
  const pricing: PricingSnapshot = {
    products: lines.map((line) => {
      const product = byId.get(line.productId);
      return { isbn: product?.isbn ?? "", title: product?.title ?? "" };
    }),
    discount,
    appliedPromotions,
    shippingAddress,
    ...(billingAddress === shippingAddress ? {} : { billingAddress }),
  };
  const total = subtotal - discount;
  const took = appliedPromotions.map((promotion) => promotion.couponCode ?? promotion.description ?? "A promotion");
  return {
    ok: true,
    detail:
      discount > 0
        ? `${took.join(", ") || "Promotions"} took ${formatMoney(discount, checkout.currency)} off; total ${formatMoney(total, checkout.currency)}.`
        : `No promotion applied; total ${formatMoney(total, checkout.currency)}.`,
    // The addresses are read by this step alone, and its result is written with the next step's start: nothing reads
    // their ids again, so the write that records it empties them. Done this early (not when the saga ends) so the row
    // grows less meanwhile, which keeps the table's pages fuller (store.ts, PricingSnapshot).
    patch: { pricing_json: packPricing(pricing), total, shipping_address_id: "", billing_address_id: null },
  };
}

async function authorizePayment({ runtime, call }: StepPorts, checkout: Checkout): Promise<StepOutcome> {
  const total = checkout.total ?? checkout.subtotal;
  const result = await call(checkout, "authorize_payment", "payment", (options) =>
    runtime.rpc.payment.authorize(
      {
        // The order id (allocated when the saga started) rather than the checkout id: payment's events carry it.
        subject: { case: "orderId", value: checkout.order_id },
        amount: protoMoney(total, checkout.currency),
        paymentToken: checkout.payment_token,
        // Payment checks the token is this customer's: a token read from another customer's event is refused.
        customerId: checkout.customer_id,
        idempotencyKey: `${checkout.checkout_id}:authorize`,
        correlationId: correlationOf(checkout),
      },
      options,
    ),
  );
  if (!result.ok) {
    const { error } = result;
    const code: CheckoutFailureCode = TRANSIENT.has(error.code)
      ? "processor_unavailable"
      : error.code === Code.InvalidArgument
        ? "card_declined"
        : "processor_error";
    return {
      ok: false,
      code,
      ...(code === "card_declined" ? { message: "The card could not be used. Try another card." } : {}),
      detail: `payment answered ${Code[error.code]}: ${error.rawMessage}`,
    };
  }
  const payment = result.value;
  const { PaymentStatus } = paymentV1;
  if (payment.status === PaymentStatus.AUTHORIZED) {
    return {
      ok: true,
      detail: `Authorized ${formatMoney(total, checkout.currency)} as ${payment.paymentId}.`,
      patch: { payment_id: payment.paymentId },
    };
  }
  const code = failureCodeOfPayment(payment.failure?.code);
  return {
    ok: false,
    code,
    ...(payment.failure?.message ? { message: payment.failure.message } : {}),
    detail: `${code}: ${payment.failure?.message || `the payment is ${PaymentStatus[payment.status]}`}`,
    patch: { payment_id: payment.paymentId || null },
  };
}

function createOrder(ports: StepPorts, checkout: Checkout): StepOutcome {
  return {
    ok: true,
    detail: `Order ${checkout.order_id} created.`,
    write: async (trx, current) => {
      // The order is written in the transaction that marks this step done, so it exists exactly when the step
      // succeeded; the unique checkout_id makes a second one impossible anyway. The pricing snapshot now lives in
      // the order (its promotions and addresses) and nothing reads it from the saga again: it is not kept twice.
      // So is the event that started the saga: the order's first history line, written here, was its last reader.
      return {
        last_event_id: await writeCreatedOrder(trx, ports, current),
        pricing_json: null,
        cause_event_id: "",
      };
    },
  };
}

async function capturePayment(ports: StepPorts, checkout: Checkout): Promise<StepOutcome> {
  const { runtime, call } = ports;
  // Inventory may have reported the hold lapsed (a subscription writes it) while the saga was on earlier steps: every
  // write of the saga reads it back (checkout-saga.ts), the last one just before this step.
  const expiresAt = checkout.reservation_expires_at;
  const now = runtime.clock.now().toISOString();
  if (checkout.reservation_expired_at || (expiresAt && now >= expiresAt)) {
    // Capturing now would take money for stock that may be in someone else's cart: give up instead. On the step's
    // first attempt nothing has called Capture yet; on a later one an earlier run may have captured and died before
    // recording it, and that capture must be found and settled, not declared never to have happened.
    const attempts = readSteps(checkout).find((step) => step.name === "capture_payment")?.attempts ?? 0;
    if (attempts > 1) {
      const settled = await settleLapsedCapture(ports, checkout);
      if (settled !== "stock-sold") return settled;
      // The earlier run captured and committed the stock: the order is paid for stock that is sold to it. Capture
      // and CommitStock answer what they did, and the write below records it.
    } else {
      return {
        ok: false,
        code: "reservation_expired",
        detail: `Reservation ${checkout.reservation_id} lapsed before the capture; nothing was captured.`,
      };
    }
  }
  const result = await call(checkout, "capture_payment", "payment", (options) =>
    runtime.rpc.payment.capture({ paymentId: checkout.payment_id ?? "" }, options),
  );
  if (!result.ok) {
    const { error } = result;
    return {
      ok: false,
      code: TRANSIENT.has(error.code) ? "processor_unavailable" : "processor_error",
      detail: `payment answered ${Code[error.code]}: ${error.rawMessage}`,
    };
  }
  const capture = result.value;
  if (capture.status !== paymentV1.PaymentStatus.CAPTURED) {
    const code = failureCodeOfPayment(capture.failure?.code);
    return {
      ok: false,
      code,
      ...(capture.failure?.message ? { message: capture.failure.message } : {}),
      detail: `The capture failed: ${code}: ${capture.failure?.message || paymentV1.PaymentStatus[capture.status]}`,
    };
  }
  const captured = minorUnits(capture.capturedAmount);
  // The stock is committed now, before the write that records the capture, so that one write records both instead of
  // a write of its own after it. A crash before that write runs this step again: the capture and the commit are
  // idempotent (by payment and by reservation id). One try: when inventory does not answer, the order is paid with
  // its commit PENDING, and the saga's commit_stock retries it and re-drives it as it always has.
  const stock = await commitReservation(runtime, commitOnce(runtime), checkout);
  return {
    ok: true,
    detail: `Captured ${formatMoney(captured || (checkout.total ?? 0), checkout.currency)}.`,
    write: async (trx, current) => {
      const paidAt = runtime.clock.now().toISOString();
      const lastEventId = await writePaidOrder(trx, ports, current, paidAt, ports.handOut?.(current.checkout_id));
      return { finished_at: paidAt, stock_commit: stock.state, last_event_id: lastEventId };
    },
  };
}

/**
 * The capture step of a saga whose hold lapsed, run again after an earlier attempt that may have captured (the
 * process died between Capture's answer and the write recording it). Payment has no read of a payment's state over
 * RPC, so Void asks it: a void that succeeds (or finds the payment FAILED) proves nothing was taken, and the saga fails
 * as for any lapsed hold. A void refused as failed_precondition means the money was taken. Then the stock decides
 * (CommitStock is idempotent by reservation): committed by that earlier run, it is sold to this order, and the order
 * is paid ("stock-sold"); lapsed, its copies may be in another cart, so the capture is refunded and the saga fails.
 * A PAID order for stock inventory no longer holds, or a failed checkout that kept the money, is never the outcome.
 * Where a dependency does not answer, the step runs again later.
 */
async function settleLapsedCapture(ports: StepPorts, checkout: Checkout): Promise<StepOutcome | "stock-sold"> {
  const { runtime, call } = ports;
  const paymentId = checkout.payment_id ?? "";
  const reservationId = checkout.reservation_id;
  const voided = await call(checkout, "capture_payment", "payment", (options) =>
    runtime.rpc.payment.void({ paymentId, reason: paymentV1.VoidReason.CHECKOUT_FAILED }, options),
  );
  if (voided.ok || voided.error.code === Code.NotFound) {
    return {
      ok: false,
      code: "reservation_expired",
      detail: `Reservation ${reservationId} lapsed before the capture; nothing was captured.`,
    };
  }
  // Anything but failed_precondition leaves the question open (a payment that does not answer, or answers an
  // error that says nothing of its state): failing now could keep money the customer paid.
  if (voided.error.code !== Code.FailedPrecondition) {
    return { ok: "later", why: `payment: ${Code[voided.error.code]}: ${voided.error.rawMessage}` };
  }

  // Captured (or refunded by an earlier attempt of this very path): what the stock says decides.
  const committed = await call(checkout, undefined, "inventory", (options) =>
    runtime.rpc.inventory.commitStock({ reservationId: reservationId ?? "", orderId: checkout.order_id }, options),
  );
  if (committed.ok) return "stock-sold";
  if (TRANSIENT.has(committed.error.code)) return { ok: "later", why: `inventory: ${committed.error.rawMessage}` };
  // Refused: the hold lapsed (or is gone), and the copies are no longer this order's to sell.

  const total = checkout.total ?? checkout.subtotal;
  const refund = await refundCapture(runtime, call, checkout, "capture_payment");
  if (refund.state === "later") return { ok: "later", why: refund.why };
  if (refund.state === "refused") {
    return {
      ok: false,
      code: "reservation_expired",
      message:
        "The items were held for too long and were released. The payment taken could not be refunded at once; contact support to have it refunded.",
      detail: `Reservation ${reservationId} lapsed before the capture of ${paymentId} was recorded; its refund was refused (${refund.why}).`,
    };
  }
  const now = runtime.clock.now().toISOString();
  const detail = `Captured ${formatMoney(total, checkout.currency)} before the hold lapsed; refunded as ${refund.refundId}.`;
  return {
    ok: false,
    code: "reservation_expired",
    message: "The items were held for too long and were released; the payment taken was refunded. Check out again.",
    detail: `Reservation ${reservationId} lapsed before the capture of ${paymentId} was recorded; the capture was refunded as ${refund.refundId}.`,
    // The refund undid the payment step: marked so, the compensation does not try a void that payment must refuse.
    patch: changeSteps(checkout, {
      authorize_payment: (step) => ({ ...step, status: "COMPENSATED", compensated_at: now, detail }),
    }),
  };
}

/** A call tried once (the capture step's stock commit, which the saga's commit_stock retries if it must). */
function commitOnce(runtime: Runtime): SagaCall {
  return createSagaCall(runtime, { attempts: 1, baseDelayMs: 0 });
}
