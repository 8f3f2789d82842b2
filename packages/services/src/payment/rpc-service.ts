import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { paymentV1 } from "@ecom/sdk/rpc";
import { ServiceError } from "../platform/index.js";
import { answeringAs } from "./payment-errors.js";
import {
  type FailureCode,
  isRetryableFailure,
  type Money,
  type PaymentRow,
  type RefundReason,
  type RefundRow,
  type VoidReason,
} from "./payment-model.js";
import type { Payments } from "./payments.js";

const { PaymentService, PaymentStatus, PaymentFailureCode, RefundStatus } = paymentV1;

const ORDER_ID = /^ord_[0-9A-HJKMNP-TV-Z]{26}$/;
const CHECKOUT_ID = /^chk_[0-9A-HJKMNP-TV-Z]{26}$/;
const PAYMENT_ID = /^pay_[0-9A-HJKMNP-TV-Z]{26}$/;
const PAYMENT_TOKEN = /^tok_[0-9A-HJKMNP-TV-Z]{26}$/;
const CUSTOMER_ID = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_:.-]{8,128}$/;

const STATUS: Readonly<Record<string, paymentV1.PaymentStatus>> = {
  AUTHORIZED: PaymentStatus.AUTHORIZED,
  FAILED: PaymentStatus.FAILED,
  CAPTURED: PaymentStatus.CAPTURED,
  VOIDED: PaymentStatus.VOIDED,
  PARTIALLY_REFUNDED: PaymentStatus.PARTIALLY_REFUNDED,
  REFUNDED: PaymentStatus.REFUNDED,
};

const FAILURE_CODE: Readonly<Record<FailureCode, paymentV1.PaymentFailureCode>> = {
  card_declined: PaymentFailureCode.CARD_DECLINED,
  insufficient_funds: PaymentFailureCode.INSUFFICIENT_FUNDS,
  expired_card: PaymentFailureCode.EXPIRED_CARD,
  processor_error: PaymentFailureCode.PROCESSOR_ERROR,
  processor_unavailable: PaymentFailureCode.PROCESSOR_UNAVAILABLE,
  authorization_expired: PaymentFailureCode.AUTHORIZATION_EXPIRED,
};

const VOID_REASON: Readonly<Record<paymentV1.VoidReason, VoidReason>> = {
  // Compensation may run blind without saying why; a checkout being undone is the common case.
  [paymentV1.VoidReason.UNSPECIFIED]: "checkout_failed",
  [paymentV1.VoidReason.CHECKOUT_FAILED]: "checkout_failed",
  [paymentV1.VoidReason.ORDER_CANCELED]: "order_canceled",
  [paymentV1.VoidReason.REQUESTED_BY_CUSTOMER]: "requested_by_customer",
  [paymentV1.VoidReason.FRAUD_SUSPECTED]: "fraud_suspected",
};

const REFUND_REASON: Readonly<Record<paymentV1.RefundReason, RefundReason>> = {
  [paymentV1.RefundReason.UNSPECIFIED]: "requested_by_customer",
  [paymentV1.RefundReason.ORDER_CANCELED]: "order_canceled",
  [paymentV1.RefundReason.RETURN_RECEIVED]: "return_received",
  [paymentV1.RefundReason.REQUESTED_BY_CUSTOMER]: "requested_by_customer",
  [paymentV1.RefundReason.DUPLICATE]: "duplicate",
  [paymentV1.RefundReason.FRAUDULENT]: "fraudulent",
  [paymentV1.RefundReason.GOODWILL]: "goodwill",
};

const REFUND_STATUS: Readonly<Record<string, paymentV1.RefundStatus>> = {
  PENDING: RefundStatus.PENDING,
  SUCCEEDED: RefundStatus.SUCCEEDED,
  FAILED: RefundStatus.FAILED,
};

function invalid(field: string, message: string): ServiceError {
  return new ServiceError("validation", `${field} ${message}`);
}

function requireMatch(pattern: RegExp, field: string, value: string, what: string): void {
  if (!pattern.test(value)) throw invalid(field, `must be ${what}, not "${value}"`);
}

/** The proto Money as the context's Money; absent is undefined. */
function moneyOf(money: { amountMinor: bigint; currency: string } | undefined, field: string): Money | undefined {
  if (!money) return undefined;
  if (money.amountMinor <= 0n || money.amountMinor > 100_000_000_000n) {
    throw invalid(`${field}.amount_minor`, "must be more than zero (and at most 100000000000)");
  }
  if (!/^[A-Z]{3}$/.test(money.currency)) throw invalid(`${field}.currency`, "must be an ISO 4217 code like USD");
  return { amount: Number(money.amountMinor), currency: money.currency };
}

function protoMoney(amount: number, currency: string) {
  return { amountMinor: BigInt(amount), currency };
}

function failureOf(code: string | null, message: string | null) {
  if (code === null) return undefined;
  const failureCode = code as FailureCode;
  return {
    code: FAILURE_CODE[failureCode] ?? PaymentFailureCode.UNSPECIFIED,
    message: message ?? "",
    retryable: isRetryableFailure(failureCode),
  };
}

/** Run a payment operation, turning its expected failures into the errors payment.proto documents. */
const answering = <TValue>(operation: () => Promise<TValue>) => answeringAs("rpc", operation);

/** A payment whose operation is still with the processor has no proto status: the caller retries. */
function stillPending(row: PaymentRow, what: string): ServiceError {
  return new ServiceError(
    "unavailable",
    `${what} of payment ${row.payment_id} awaits the processor's confirmation; retry the same call later.`,
  );
}

/** Serve ecom.payment.v1.PaymentService per its proto. */
export function registerPaymentService(router: ConnectRouter, payments: Payments): void {
  router.service(PaymentService, {
    async authorize(request) {
      const subject = request.subject;
      if (subject.case === "orderId") requireMatch(ORDER_ID, "order_id", subject.value, "an ord_… id");
      else if (subject.case === "checkoutId") requireMatch(CHECKOUT_ID, "checkout_id", subject.value, "a chk_… id");
      else throw invalid("subject", "must be an order_id or a checkout_id");
      const amount = moneyOf(request.amount, "amount");
      if (!amount) throw invalid("amount", "is required");
      requireMatch(PAYMENT_TOKEN, "payment_token", request.paymentToken, "a tok_… token");
      if (request.customerId !== "") requireMatch(CUSTOMER_ID, "customer_id", request.customerId, "a cus_… id");
      requireMatch(
        IDEMPOTENCY_KEY,
        "idempotency_key",
        request.idempotencyKey,
        "8 to 128 characters of [A-Za-z0-9_:.-]",
      );
      const payment = await answering(() =>
        payments.authorize({
          // Payment events name the order; before it exists the saga's checkout stands for it (see the report).
          orderId: subject.case === "orderId" ? subject.value : `ord_${subject.value.slice("chk_".length)}`,
          checkoutId: subject.case === "checkoutId" ? subject.value : undefined,
          amount,
          paymentToken: request.paymentToken,
          idempotencyKey: `rpc:${request.idempotencyKey}`,
          correlationId: request.correlationId || subject.value,
          ownerId: request.customerId === "" ? undefined : request.customerId,
        }),
      );
      const status = STATUS[payment.status];
      if (status === undefined) throw stillPending(payment, "The authorization");
      const failure =
        payment.status === "FAILED" ? failureOf(payment.failure_code, payment.failure_message) : undefined;
      return create(paymentV1.AuthorizeResponseSchema, {
        paymentId: payment.payment_id,
        status,
        ...(failure ? { failure } : {}),
        processorPath: payment.processor_path ?? "",
      });
    },

    async capture(request) {
      requireMatch(PAYMENT_ID, "payment_id", request.paymentId, "a pay_… id");
      const amount = moneyOf(request.amount, "amount");
      const payment = await answering(() => payments.capture(request.paymentId, amount));
      if (payment.status === "CAPTURED") {
        return create(paymentV1.CaptureResponseSchema, {
          paymentId: payment.payment_id,
          status: PaymentStatus.CAPTURED,
          capturedAmount: protoMoney(payment.amount_captured, payment.currency),
        });
      }
      if (payment.status === "FAILED") {
        const failure = failureOf(payment.failure_code, payment.failure_message);
        return create(paymentV1.CaptureResponseSchema, {
          paymentId: payment.payment_id,
          status: PaymentStatus.FAILED,
          ...(failure ? { failure } : {}),
        });
      }
      throw stillPending(payment, "The capture");
    },

    async void(request) {
      requireMatch(PAYMENT_ID, "payment_id", request.paymentId, "a pay_… id");
      const payment = await answering(() =>
        payments.void(request.paymentId, VOID_REASON[request.reason] ?? "checkout_failed"),
      );
      if (payment.status !== "VOIDED" && payment.status !== "FAILED") throw stillPending(payment, "The void");
      return create(paymentV1.VoidResponseSchema, {
        paymentId: payment.payment_id,
        status: STATUS[payment.status] ?? PaymentStatus.UNSPECIFIED,
      });
    },

    async refund(request) {
      requireMatch(PAYMENT_ID, "payment_id", request.paymentId, "a pay_… id");
      const amount = moneyOf(request.amount, "amount");
      if (!amount) throw invalid("amount", "is required");
      requireMatch(
        IDEMPOTENCY_KEY,
        "idempotency_key",
        request.idempotencyKey,
        "8 to 128 characters of [A-Za-z0-9_:.-]",
      );
      const { refund, payment } = await answering(() =>
        payments.refund({
          paymentId: request.paymentId,
          amount,
          reason: REFUND_REASON[request.reason] ?? "requested_by_customer",
          idempotencyKey: `rpc:${request.idempotencyKey}`,
        }),
      );
      return refundResponse(refund, payment);
    },
  });
}

function refundResponse(refund: RefundRow, payment: PaymentRow) {
  const failure = refund.status === "FAILED" ? failureOf(refund.failure_code, refund.failure_message) : undefined;
  return create(paymentV1.RefundResponseSchema, {
    refundId: refund.refund_id,
    paymentId: payment.payment_id,
    refundStatus: REFUND_STATUS[refund.status] ?? RefundStatus.UNSPECIFIED,
    paymentStatus: STATUS[payment.status] ?? PaymentStatus.UNSPECIFIED,
    refundedTotal: protoMoney(payment.amount_refunded, payment.currency),
    ...(failure ? { failure } : {}),
  });
}
