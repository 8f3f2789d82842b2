import type { Selectable } from "kysely";
import type { Principal } from "../platform/index.js";
import { PaymentError } from "./payment-errors.js";
import type { ChargeTable, IdempotencyKeyTable, PaymentMethodTable, PaymentTable, RefundTable } from "./store.js";

/** A payment as stored. */
export type PaymentRow = Selectable<PaymentTable>;
/** A processor operation as stored. */
export type ChargeRow = Selectable<ChargeTable>;
/** A refund as stored. */
export type RefundRow = Selectable<RefundTable>;
/** A tokenized card as stored. */
export type PaymentMethodRow = Selectable<PaymentMethodTable>;
/** An idempotency key as stored. */
export type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>;

/** An amount in minor units of its currency. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** Why a payment failed (the contracts' closed set). */
export type FailureCode =
  | "card_declined"
  | "insufficient_funds"
  | "expired_card"
  | "processor_error"
  | "processor_unavailable"
  | "authorization_expired";

/** Why an authorization is released. */
export type VoidReason =
  | "checkout_failed"
  | "order_canceled"
  | "requested_by_customer"
  | "fraud_suspected"
  | "authorization_expired";

/** Why money is returned. */
export type RefundReason =
  | "order_canceled"
  | "return_received"
  | "requested_by_customer"
  | "duplicate"
  | "fraudulent"
  | "goodwill";

/** A human explanation of each failure, safe to show the customer. */
export const FAILURE_MESSAGES: Readonly<Record<FailureCode, string>> = {
  card_declined: "The card was declined by its issuer.",
  insufficient_funds: "The card was declined for insufficient funds.",
  expired_card: "The card has expired.",
  processor_error: "The payment processor failed to process the payment.",
  processor_unavailable: "The payment processor did not answer.",
  authorization_expired: "The authorization lapsed before the capture.",
};

/** Whether a new attempt may succeed without the customer changing anything (a processor problem, not a card one). */
export function isRetryableFailure(code: FailureCode): boolean {
  return code === "processor_error" || code === "processor_unavailable";
}

/** How long an authorization holds the funds. */
export const AUTHORIZATION_HOLD_MS = 7 * 24 * 60 * 60 * 1000;

/** A processor webhook's body (contracts/openapi/payment.yaml ProcessorEvent). */
export interface ProcessorEvent {
  readonly id: string;
  readonly type:
    | "authorization.succeeded"
    | "authorization.failed"
    | "capture.succeeded"
    | "capture.failed"
    | "refund.succeeded"
    | "refund.failed";
  readonly createdAt: string;
  readonly data: {
    readonly paymentId: string;
    readonly refundId?: string;
    readonly processorReference: string;
    readonly amount: Money;
    readonly failureCode?: FailureCode;
  };
}

/** What Authorize needs. */
export interface AuthorizeInput {
  readonly orderId: string;
  readonly checkoutId?: string | undefined;
  readonly amount: Money;
  readonly paymentToken: string;
  /** Already scoped to its surface and caller (`rpc:…`, `rest:<customerId>:…`). */
  readonly idempotencyKey: string;
  readonly correlationId: string;
  /** The REST caller: a customer may pay only with their own token (an admin with any). */
  readonly payer?: Principal | undefined;
  /** The customer paying, from the RPC's `customer_id`: the token must be theirs. */
  readonly ownerId?: string | undefined;
}

/** What Refund needs. */
export interface RefundInput {
  readonly paymentId: string;
  readonly amount: Money;
  readonly reason: RefundReason;
  readonly note?: string | undefined;
  /** Already scoped to its surface and caller. */
  readonly idempotencyKey: string;
  /** The flow of the refund (a REST request's); the payment's own (its checkout's) when absent. */
  readonly correlationId?: string | undefined;
}

/** A payment with its charges and refunds, oldest first. */
export interface PaymentRecord {
  readonly payment: PaymentRow;
  readonly charges: readonly ChargeRow[];
  readonly refunds: readonly RefundRow[];
}

/** A payment's amount and currency as Money. */
export function amountOf(payment: PaymentRow): Money {
  return { amount: payment.amount, currency: payment.currency };
}

/** Refuse an amount that is not a positive whole number of minor units of an ISO 4217 currency. */
export function requirePositive(amount: Money, pointer: string): void {
  if (!Number.isSafeInteger(amount.amount) || amount.amount <= 0 || amount.amount > 100_000_000_000) {
    throw new PaymentError("invalid", `${pointer} must be more than zero minor units.`, { pointer });
  }
  if (!/^[A-Z]{3}$/.test(amount.currency)) {
    throw new PaymentError("invalid", `${pointer} currency must be an ISO 4217 code like USD.`, { pointer });
  }
}
