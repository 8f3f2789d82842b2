import { ServiceError, type ServiceErrorCode } from "../platform/index.js";

/**
 * The failures of payment operations, one kind per answer a caller branches on. {@link serviceErrorOf} turns a kind
 * into the ServiceError each surface's contract documents; the one error table takes it to HTTP and Connect from there.
 */
export type PaymentErrorKind =
  | "invalid"
  | "not_found"
  | "unknown_token"
  | "state_conflict"
  | "exceeds_refundable"
  | "currency_mismatch"
  | "key_reused"
  | "invalid_card_number"
  | "expired_card"
  | "unavailable";

/** An expected failure of a payment operation; nothing was changed unless the message says so. */
export class PaymentError extends Error {
  override name = "PaymentError";
  constructor(
    readonly kind: PaymentErrorKind,
    message: string,
    readonly details: { readonly pointer?: string; readonly retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}

/** True for a {@link PaymentError}. */
export function isPaymentError(error: unknown): error is PaymentError {
  return error instanceof Error && error.name === "PaymentError";
}

/**
 * The refusal of an operation (`Authorize`, `Capture`, …) while the processor's breaker is open, or after its retries
 * gave up; `retryAfterSeconds` is the breaker's, read when refused.
 */
export function processorUnavailable(operation: string, retryAfterSeconds: number): PaymentError {
  return new PaymentError(
    "unavailable",
    `${operation} could not be made: the payment processor is unavailable. Retry the same request later.`,
    { retryAfterSeconds },
  );
}

/** Which contract a failure is answered under: the REST operations (payment.yaml) or PaymentService (the proto). */
export type PaymentSurface = "rest" | "rpc";

/**
 * The error code of each payment failure, per surface. Both columns go through the one ServiceError table to HTTP and
 * Connect; they differ only where the two contracts document different answers: payment.yaml makes a token the
 * caller was never issued a 404 (another customer's card is not theirs to know of) and card or currency problems
 * business-rule refusals (422), while payment.proto documents all four as invalid_argument, which the Checkout Saga
 * reads as "this card cannot be used".
 */
const CODE: Readonly<Record<PaymentErrorKind, Readonly<Record<PaymentSurface, ServiceErrorCode>>>> = {
  invalid: { rest: "validation", rpc: "validation" },
  not_found: { rest: "not_found", rpc: "not_found" },
  unknown_token: { rest: "not_found", rpc: "validation" },
  state_conflict: { rest: "conflict", rpc: "conflict" },
  exceeds_refundable: { rest: "unprocessable", rpc: "unprocessable" },
  currency_mismatch: { rest: "unprocessable", rpc: "validation" },
  key_reused: { rest: "idempotency_key_reused", rpc: "idempotency_key_reused" },
  invalid_card_number: { rest: "unprocessable", rpc: "validation" },
  expired_card: { rest: "unprocessable", rpc: "validation" },
  unavailable: { rest: "unavailable", rpc: "unavailable" },
};

/** The specific problem types contracts/openapi/payment.yaml documents, by failure kind. */
const PROBLEM: Partial<Readonly<Record<PaymentErrorKind, string>>> = {
  state_conflict: "payment_state_conflict",
  exceeds_refundable: "refund_exceeds_captured",
  currency_mismatch: "currency_mismatch",
  invalid_card_number: "invalid_card_number",
  expired_card: "expired_card",
};

/** A payment failure as the ServiceError its surface's contract documents. */
export function serviceErrorOf(error: PaymentError, surface: PaymentSurface): ServiceError {
  const { pointer, retryAfterSeconds } = error.details;
  const problem = PROBLEM[error.kind];
  return new ServiceError(
    CODE[error.kind][surface],
    error.message,
    {
      ...(problem === undefined ? {} : { problem }),
      ...(pointer === undefined ? {} : { errors: [{ pointer, message: error.message }] }),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    },
    { cause: error },
  );
}

/** Run a payment operation, answering its expected failures as the ServiceErrors `surface` documents. */
export async function answeringAs<TValue>(surface: PaymentSurface, operation: () => Promise<TValue>): Promise<TValue> {
  try {
    return await operation();
  } catch (error) {
    throw isPaymentError(error) ? serviceErrorOf(error, surface) : error;
  }
}
