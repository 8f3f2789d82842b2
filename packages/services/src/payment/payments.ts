import { createHash, randomBytes } from "node:crypto";
import type { MessagePayloads, MessageType } from "@ecom/sdk";
import type { Kysely, Selectable, Transaction, Updateable } from "kysely";
import type { ContextRuntime, Principal } from "../platform/index.js";
import { KeyedLock } from "../platform/keyed-lock.js";
import type { AuthorizationRoute, ProcessorPath } from "./authorization-route.js";
import { brandOf, type CardOutcome, hasExpired, outcomeOf, passesLuhn } from "./cards.js";
import { createPaymentStatements, type PaymentStatements } from "./payment-statements.js";
import type { PaymentProcessor, ProcessorAnswer, ProcessorCard } from "./processor.js";
import type { ProcessorOutcome, ResilientProcessor } from "./resilient-processor.js";
import type {
  ChargeTable,
  IdempotencyKeyTable,
  PaymentDatabase,
  PaymentMethodTable,
  PaymentTable,
  RefundTable,
} from "./store.js";

/** A payment as stored. */
export type PaymentRow = Selectable<PaymentTable>;
/** A processor operation as stored. */
export type ChargeRow = Selectable<ChargeTable>;
/** A refund as stored. */
export type RefundRow = Selectable<RefundTable>;
/** A tokenized card as stored. */
export type PaymentMethodRow = Selectable<PaymentMethodTable>;
/** An idempotency key as stored. */
type IdempotencyKeyRow = Selectable<IdempotencyKeyTable>;
/** The row of Authorize's lookup of its key and its card. */
type AuthorizeLookup = NonNullable<Awaited<ReturnType<PaymentStatements["keyAndMethod"]["executeTakeFirst"]>>>;

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

/**
 * The failures of payment operations, one kind per answer a caller branches on. payment-errors.ts turns a kind into
 * the ServiceError each surface's contract documents; the one error table takes it to HTTP and Connect from there.
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

/** How long an idempotency key is kept (DESIGN.md). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

const ISSUER_DECLINES = new Set<FailureCode>([
  "card_declined",
  "insufficient_funds",
  "expired_card",
  "authorization_expired",
]);

/** What the processor decided for one operation, from its synchronous answer or its webhook. */
type Decision =
  | {
      readonly outcome: "succeeded";
      readonly processorReference?: string | undefined;
      readonly attempts?: number;
      /** The processor's interface that answered, for an authorization. */
      readonly path?: ProcessorPath;
    }
  | {
      readonly outcome: "failed";
      readonly code: FailureCode;
      readonly message?: string | undefined;
      readonly processorReference?: string | undefined;
      readonly attempts?: number;
    }
  | { readonly outcome: "pending"; readonly processorReference: string; readonly attempts: number };

function decisionOf(outcome: ProcessorOutcome & { readonly path?: ProcessorPath }): Decision {
  if (!outcome.ok)
    return { outcome: "failed", code: outcome.code, message: outcome.message, attempts: outcome.attempts };
  const answer: ProcessorAnswer = outcome.answer;
  if (answer.status === "succeeded") {
    return {
      outcome: "succeeded",
      processorReference: answer.processorReference,
      attempts: outcome.attempts,
      ...(outcome.path === undefined ? {} : { path: outcome.path }),
    };
  }
  if (answer.status === "declined") {
    return {
      outcome: "failed",
      code: answer.code,
      processorReference: answer.processorReference,
      attempts: outcome.attempts,
    };
  }
  return { outcome: "pending", processorReference: answer.processorReference, attempts: outcome.attempts };
}

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

/** The payment context's operations, shared by its REST handlers, its RPC service and its webhook receiver. */
export interface Payments {
  tokenize(input: {
    readonly customerId: string;
    readonly cardNumber: string;
    readonly expMonth: number;
    readonly expYear: number;
    readonly holderName: string;
  }): Promise<PaymentMethodRow>;
  authorize(input: AuthorizeInput): Promise<PaymentRow>;
  capture(paymentId: string, amount: Money | undefined): Promise<PaymentRow>;
  void(paymentId: string, reason: VoidReason): Promise<PaymentRow>;
  refund(input: RefundInput): Promise<{ readonly refund: RefundRow; readonly payment: PaymentRow }>;
  /** Apply a verified processor webhook once; `duplicate` when its id was applied before. */
  applyWebhook(event: ProcessorEvent): Promise<{ readonly duplicate: boolean }>;
  record(paymentId: string): Promise<PaymentRecord | undefined>;
  /** The processor's webhook signing secret, made on first use and kept in the store. */
  webhookSecret(): Promise<string>;
}

/** The payment operations of one running payment context. */
export function createPayments(
  runtime: ContextRuntime<PaymentDatabase>,
  /** The REST processor: captures, voids and refunds. */
  processor: ResilientProcessor,
  /** Where authorizations go: SOAP first, then REST (authorization-route.ts). */
  authorizations: AuthorizationRoute,
): Payments {
  const { db, clock, ids, outbox } = runtime;
  const statements = createPaymentStatements(db);
  const locks = new KeyedLock();
  let secret: Promise<string> | undefined;

  const unavailable = (what: string) =>
    new PaymentError(
      "unavailable",
      `${what} could not be made: the payment processor is unavailable. Retry the same request later.`,
      { retryAfterSeconds: what === "Authorize" ? authorizations.retryAfterSeconds : processor.retryAfterSeconds },
    );

  /**
   * A request's SHA-256 as a key keeps it: base64url (43 characters), and hex (64) as keys stored before kept it, so
   * a repeat within the window of a key stored by the previous version still matches.
   */
  const hashOf = (value: unknown) => {
    const digest = createHash("sha256").update(JSON.stringify(value)).digest();
    return { stored: digest.toString("base64url"), hex: digest.toString("hex") };
  };
  const sameRequest = (key: IdempotencyKeyRow, hash: ReturnType<typeof hashOf>) =>
    key.request_hash === hash.stored || key.request_hash === hash.hex;

  /** A key still within its window, or undefined (an expired one is forgotten, so the key may be used again). */
  const claimedKey = async (
    scopeKey: string,
    read: Promise<IdempotencyKeyRow | undefined> = statements.idempotencyKey.executeTakeFirst(db, { scopeKey }),
  ) => {
    const row = await read;
    if (!row) return undefined;
    if (clock.now().getTime() - Date.parse(row.created_at) < IDEMPOTENCY_WINDOW_MS) return row;
    await db.deleteFrom("idempotency_keys").where("scope_key", "=", scopeKey).execute();
    return undefined;
  };

  /** The idempotency key of an Authorize's lookup, if it has one. */
  const keyOf = (lookup: AuthorizeLookup): IdempotencyKeyRow | undefined =>
    lookup.key_scope_key === null ||
    lookup.key_request_hash === null ||
    lookup.key_resource_id === null ||
    lookup.key_created_at === null
      ? undefined
      : {
          scope_key: lookup.key_scope_key,
          request_hash: lookup.key_request_hash,
          resource_id: lookup.key_resource_id,
          created_at: lookup.key_created_at,
        };

  /** The card of an Authorize's lookup, if its token has one. */
  const methodOf = (lookup: AuthorizeLookup): PaymentMethodRow | undefined =>
    lookup.method_payment_token === null ||
    lookup.method_customer_id === null ||
    lookup.method_brand === null ||
    lookup.method_last4 === null ||
    lookup.method_exp_month === null ||
    lookup.method_exp_year === null ||
    lookup.method_holder_name === null ||
    lookup.method_outcome === null ||
    lookup.method_created_at === null
      ? undefined
      : {
          payment_token: lookup.method_payment_token,
          customer_id: lookup.method_customer_id,
          brand: lookup.method_brand,
          last4: lookup.method_last4,
          exp_month: lookup.method_exp_month,
          exp_year: lookup.method_exp_year,
          holder_name: lookup.method_holder_name,
          outcome: lookup.method_outcome,
          created_at: lookup.method_created_at,
        };

  const loadPayment = async (paymentId: string) => {
    const row = await statements.payment.executeTakeFirst(db, { paymentId });
    if (!row) throw new PaymentError("not_found", `No payment ${paymentId}.`);
    return row;
  };

  /** The card of a stored payment method, as the processor is shown it. */
  const cardFrom = (method: Selectable<PaymentMethodTable>): ProcessorCard => ({
    brand: method.brand as ProcessorCard["brand"],
    last4: method.last4,
    expMonth: method.exp_month,
    expYear: method.exp_year,
    outcome: method.outcome as CardOutcome,
  });

  const cardOf = async (payment: PaymentRow): Promise<ProcessorCard> => {
    const method = await statements.paymentMethod.executeTakeFirst(db, { paymentToken: payment.payment_token });
    if (!method) throw new Error(`The payment method of payment ${payment.payment_id} is gone.`);
    return cardFrom(method);
  };

  /**
   * A payment, the card it is paid with and its charges, in one read (a capture or a void shows the processor the
   * card, and needs its own pending charge and the authorization's; a payment has a handful of charges at most). The
   * card is undefined when the payment's method is gone, and asking the processor then fails as {@link cardOf} does.
   */
  const loadForProcessorCall = async (paymentId: string) => {
    const rows = await statements.paymentWithCardAndCharges.execute(db, { paymentId });
    const first = rows[0];
    if (!first) throw new PaymentError("not_found", `No payment ${paymentId}.`);
    const charges: ChargeRow[] = [];
    for (const row of rows) {
      if (row.charge_charge_id === null) continue;
      charges.push({
        charge_id: row.charge_charge_id,
        payment_id: row.payment_id,
        kind: row.charge_kind!,
        amount: row.charge_amount!,
        currency: row.charge_currency!,
        status: row.charge_status!,
        processor_reference: row.charge_processor_reference,
        failure_code: row.charge_failure_code,
        attempts: row.charge_attempts!,
        created_at: row.charge_created_at!,
        completed_at: row.charge_completed_at,
      });
    }
    const {
      method_brand,
      method_last4,
      method_exp_month,
      method_exp_year,
      method_outcome,
      charge_charge_id,
      charge_kind,
      charge_amount,
      charge_currency,
      charge_status,
      charge_processor_reference,
      charge_failure_code,
      charge_attempts,
      charge_created_at,
      charge_completed_at,
      ...payment
    } = first;
    const card: ProcessorCard | undefined =
      method_brand === null || method_last4 === null || method_exp_month === null || method_exp_year === null
        ? undefined
        : {
            brand: method_brand as ProcessorCard["brand"],
            last4: method_last4,
            expMonth: method_exp_month,
            expYear: method_exp_year,
            outcome: method_outcome as CardOutcome,
          };
    /** The newest charge of `kind` standing at `status`. */
    const chargeOf = (kind: string, status: string) =>
      charges.find((charge) => charge.kind === kind && charge.status === status);
    return { payment, card, chargeOf };
  };

  /**
   * Ask the processor one operation on `payment`, with its card (`known`, or read now), and read the answer as a
   * decision.
   */
  const askProcessor = async (
    payment: PaymentRow,
    operation: (target: PaymentProcessor, card: ProcessorCard) => Promise<ProcessorAnswer>,
    known?: ProcessorCard,
  ) => {
    const card = known ?? (await cardOf(payment));
    return decisionOf(await processor.call((target) => operation(target, card)));
  };

  const pendingCharge = (paymentId: string, kind: string, executor: Kysely<PaymentDatabase> = db) =>
    executor
      .selectFrom("charges")
      .selectAll()
      .where("payment_id", "=", paymentId)
      .where("kind", "=", kind)
      .where("status", "=", "PENDING")
      .orderBy("charge_id", "desc")
      .executeTakeFirst();

  const succeededCharge = (paymentId: string, kind: string) =>
    db
      .selectFrom("charges")
      .selectAll()
      .where("payment_id", "=", paymentId)
      .where("kind", "=", kind)
      .where("status", "=", "SUCCEEDED")
      .orderBy("charge_id", "desc")
      .executeTakeFirst();

  const newCharge = async (trx: Kysely<PaymentDatabase>, payment: PaymentRow, kind: string, amount: number) => {
    const row: ChargeRow = {
      charge_id: ids.next("chg"),
      payment_id: payment.payment_id,
      kind,
      amount,
      currency: payment.currency,
      status: "PENDING",
      processor_reference: null,
      failure_code: null,
      attempts: 0,
      created_at: clock.now().toISOString(),
      completed_at: null,
    };
    await statements.insertCharge.execute(trx, row);
    return row;
  };

  /**
   * Record a decision on a PENDING charge. Conditional on the charge still being PENDING, so the synchronous answer
   * and a webhook for the same operation apply once between them; undefined when it was decided already.
   */
  const decideCharge = async (
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
  ) => {
    return statements.decideCharge.executeTakeFirst(trx, {
      paymentId,
      chargeId,
      status: decision.outcome === "succeeded" ? "SUCCEEDED" : decision.outcome === "failed" ? "FAILED" : "PENDING",
      processorReference: decision.processorReference ?? null,
      failureCode: decision.outcome === "failed" ? decision.code : null,
      attempts: decision.attempts ?? null,
      completedAt: decision.outcome === "pending" ? null : clock.now().toISOString(),
    });
  };

  const eventBase = (payment: PaymentRow) => ({
    paymentId: payment.payment_id,
    orderId: payment.order_id,
    customerId: payment.customer_id,
  });
  const amountOf = (payment: PaymentRow): Money => ({ amount: payment.amount, currency: payment.currency });
  const card = (payment: PaymentRow) => ({
    brand: payment.card_brand as ProcessorCard["brand"],
    last4: payment.card_last4,
  });
  const publishOptions = (payment: PaymentRow, correlationId = payment.correlation_id) => ({
    partitionKey: payment.payment_id,
    correlationId,
  });

  /** The payment as it stands inside `trx`. */
  const paymentIn = async (trx: Transaction<PaymentDatabase>, paymentId: string) => {
    const row = await statements.payment.executeTakeFirst(trx, { paymentId });
    if (!row) throw new Error(`Payment ${paymentId} is gone from its own transaction.`);
    return row;
  };

  /**
   * Move a payment that still stands at one of `from` and publish the move's event in the same transaction.
   * Undefined, and nothing published, when the payment moved on already (the synchronous answer and a webhook race).
   * A move a checkout makes gives its compiled statement as `update` instead of `from` and `set`.
   */
  const movePayment = async <TType extends MessageType>(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    move: (
      | { readonly from: readonly string[]; readonly set: Updateable<PaymentTable> }
      | { readonly update: () => Promise<PaymentRow | undefined> }
    ) & {
      readonly type: TType;
      readonly payloadOf: (moved: PaymentRow) => MessagePayloads[TType];
    },
  ) => {
    const moved =
      "update" in move
        ? await move.update()
        : await trx
            .updateTable("payments")
            .set(move.set)
            .where("payment_id", "=", paymentId)
            .where("status", "in", move.from)
            .returningAll()
            .executeTakeFirst();
    if (!moved) return undefined;
    await outbox.publish(trx, move.type, move.payloadOf(moved), publishOptions(moved));
    return moved;
  };

  /**
   * The first step of settling a charge: record its decision. `charge` is undefined when the decision was recorded
   * before, and then the payment must not move again. The payment is read (`current`) only when it is answered
   * as it stands: a move answers the row it wrote.
   */
  const decideForPayment = async (
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
  ) => {
    const charge = await decideCharge(trx, paymentId, chargeId, decision);
    return { charge, current: () => paymentIn(trx, paymentId) };
  };

  /** Fail a payment at `stage` and publish payment.failed, if it still stands at `from`. */
  const failPayment = (
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    from: string,
    stage: "AUTHORIZATION" | "CAPTURE",
    code: FailureCode,
    attempts: number,
    message?: string,
  ) => {
    const now = clock.now().toISOString();
    return movePayment(trx, paymentId, {
      from: [from],
      set: {
        status: "FAILED",
        failure_code: code,
        failure_message: message ?? FAILURE_MESSAGES[code],
        failure_stage: stage,
        failed_at: now,
        updated_at: now,
      },
      type: "ecommerce.payment.payment.failed.v1",
      payloadOf: (failed) => ({
        ...eventBase(failed),
        amount: amountOf(failed),
        card: card(failed),
        stage,
        failure: { code, message: failed.failure_message ?? FAILURE_MESSAGES[code] },
        attempts: Math.max(1, attempts),
        failedAt: now,
      }),
    });
  };

  /** Apply an authorization decision, in one transaction with its event. */
  const settleAuthorization = async (
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
  ) => {
    const { charge, current } = await decideForPayment(trx, paymentId, chargeId, decision);
    if (!charge || decision.outcome === "pending") return current();
    if (decision.outcome === "failed") {
      return (
        (await failPayment(
          trx,
          paymentId,
          "REQUIRES_AUTHORIZATION",
          "AUTHORIZATION",
          decision.code,
          charge.attempts,
          decision.message,
        )) ?? (await current())
      );
    }
    const now = clock.now();
    const authorized = await movePayment(trx, paymentId, {
      update: () =>
        statements.authorizePayment.executeTakeFirst(trx, {
          paymentId,
          processorPath: (decision.outcome === "succeeded" && decision.path) || null,
          authorizedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + AUTHORIZATION_HOLD_MS).toISOString(),
          updatedAt: now.toISOString(),
        }),
      type: "ecommerce.payment.payment.authorized.v1",
      payloadOf: (moved) => ({
        ...eventBase(moved),
        amount: amountOf(moved),
        card: card(moved),
        chargeId: charge.charge_id,
        ...(moved.processor_path === null ? {} : { processorPath: moved.processor_path as ProcessorPath }),
        authorizedAt: moved.authorized_at!,
        expiresAt: moved.authorization_expires_at!,
      }),
    });
    return authorized ?? current();
  };

  /** Apply a capture decision. A processor problem leaves the payment AUTHORIZED, to be captured again. */
  const settleCapture = async (
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
  ) => {
    const { charge, current } = await decideForPayment(trx, paymentId, chargeId, decision);
    if (!charge || decision.outcome === "pending") return current();
    if (decision.outcome === "failed") {
      if (!ISSUER_DECLINES.has(decision.code)) return current();
      return (await failPayment(trx, paymentId, "AUTHORIZED", "CAPTURE", decision.code, charge.attempts)) ?? current();
    }
    const now = clock.now().toISOString();
    const captured = await movePayment(trx, paymentId, {
      update: () =>
        statements.capturePayment.executeTakeFirst(trx, {
          paymentId,
          amountCaptured: charge.amount,
          capturedAt: now,
          updatedAt: now,
        }),
      type: "ecommerce.payment.payment.succeeded.v1",
      payloadOf: (moved) => ({
        ...eventBase(moved),
        amount: { amount: charge.amount, currency: moved.currency },
        card: card(moved),
        chargeId: charge.charge_id,
        capturedAt: now,
      }),
    });
    return captured ?? current();
  };

  /** Apply a void decision. */
  const settleVoid = async (
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
    reason: VoidReason,
  ) => {
    const { charge, current } = await decideForPayment(trx, paymentId, chargeId, decision);
    if (!charge || decision.outcome !== "succeeded") return current();
    const now = clock.now().toISOString();
    const voided = await movePayment(trx, paymentId, {
      from: ["AUTHORIZED", "REQUIRES_AUTHORIZATION"],
      set: { status: "VOIDED", void_reason: reason, voided_at: now, updated_at: now },
      type: "ecommerce.payment.payment.voided.v1",
      payloadOf: (moved) => ({ ...eventBase(moved), amount: amountOf(moved), reason, voidedAt: now }),
    });
    return voided ?? current();
  };

  /** Apply a refund decision; a succeeded refund moves the payment's refunded total and status. */
  const settleRefund = async (trx: Transaction<PaymentDatabase>, refundId: string, decision: Decision) => {
    const now = clock.now().toISOString();
    const refund = await trx
      .updateTable("refunds")
      .set({
        status: decision.outcome === "succeeded" ? "SUCCEEDED" : decision.outcome === "failed" ? "FAILED" : "PENDING",
        ...(decision.processorReference === undefined ? {} : { processor_reference: decision.processorReference }),
        ...(decision.outcome === "failed"
          ? { failure_code: decision.code, failure_message: decision.message ?? FAILURE_MESSAGES[decision.code] }
          : {}),
        ...(decision.attempts === undefined ? {} : { attempts: decision.attempts }),
        ...(decision.outcome === "pending" ? {} : { completed_at: now }),
      })
      .where("refund_id", "=", refundId)
      .where("status", "=", "PENDING")
      .returningAll()
      .executeTakeFirst();
    const current =
      refund ??
      (await trx.selectFrom("refunds").selectAll().where("refund_id", "=", refundId).executeTakeFirstOrThrow());
    const payment = await paymentIn(trx, current.payment_id);
    if (!refund || decision.outcome !== "succeeded") return { refund: current, payment };
    const total = payment.amount_refunded + refund.amount;
    const status = total >= payment.amount_captured ? "REFUNDED" : "PARTIALLY_REFUNDED";
    const refunded = await trx
      .updateTable("payments")
      .set((eb) => ({ amount_refunded: eb("amount_refunded", "+", refund.amount), status, updated_at: now }))
      .where("payment_id", "=", payment.payment_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await outbox.publish(
      trx,
      "ecommerce.payment.payment.refunded.v1",
      {
        ...eventBase(refunded),
        refundId,
        amount: { amount: refund.amount, currency: refund.currency },
        totalRefunded: { amount: refunded.amount_refunded, currency: refunded.currency },
        capturedAmount: { amount: refunded.amount_captured, currency: refunded.currency },
        paymentStatus: status,
        reason: refund.reason as RefundReason,
        refundedAt: now,
      },
      { partitionKey: refunded.payment_id, correlationId: refund.correlation_id },
    );
    return { refund, payment: refunded };
  };

  const requirePositive = (amount: Money, pointer: string) => {
    if (!Number.isSafeInteger(amount.amount) || amount.amount <= 0 || amount.amount > 100_000_000_000) {
      throw new PaymentError("invalid", `${pointer} must be more than zero minor units.`, { pointer });
    }
    if (!/^[A-Z]{3}$/.test(amount.currency)) {
      throw new PaymentError("invalid", `${pointer} currency must be an ISO 4217 code like USD.`, { pointer });
    }
  };

  return {
    async tokenize(input) {
      if (!passesLuhn(input.cardNumber)) {
        throw new PaymentError("invalid_card_number", "The card number fails the Luhn check; check the digits.", {
          pointer: "/cardNumber",
        });
      }
      if (hasExpired(input, clock.now())) {
        throw new PaymentError(
          "expired_card",
          `The card expired in ${String(input.expMonth).padStart(2, "0")}/${input.expYear}; use another card.`,
          { pointer: "/expYear" },
        );
      }
      const row: PaymentMethodRow = {
        payment_token: ids.next("tok"),
        customer_id: input.customerId,
        brand: brandOf(input.cardNumber),
        last4: input.cardNumber.slice(-4),
        exp_month: input.expMonth,
        exp_year: input.expYear,
        holder_name: input.holderName,
        // The only thing kept from the number besides its last four digits.
        outcome: outcomeOf(input.cardNumber),
        created_at: clock.now().toISOString(),
      };
      await db.insertInto("payment_methods").values(row).execute();
      return row;
    },

    async authorize(input) {
      requirePositive(input.amount, "/amount");
      const scopeKey = `authorize:${input.idempotencyKey}`;
      const requestHash = hashOf({
        orderId: input.orderId,
        checkoutId: input.checkoutId ?? null,
        // Spelled out, so the order of the fields a client sent cannot change the hash.
        amount: input.amount.amount,
        currency: input.amount.currency,
        paymentToken: input.paymentToken,
      });
      // One at a time per key: a concurrent repeat waits for the first call's outcome instead of asking again.
      return locks.run(scopeKey, async () => {
        // The key and the token's card in one read: a new key needs the card, a known one only the key.
        const lookup = await statements.keyAndMethod.executeTakeFirst(db, {
          scopeKey,
          paymentToken: input.paymentToken,
        });
        const claimed = await claimedKey(scopeKey, Promise.resolve(lookup && keyOf(lookup)));
        let payment: PaymentRow;
        let charge: ChargeRow | undefined;
        // A new payment's card was just read with its token; a resumed one's is read when the processor is asked.
        let knownCard: ProcessorCard | undefined;
        if (claimed) {
          if (!sameRequest(claimed, requestHash)) {
            throw new PaymentError(
              "key_reused",
              `Idempotency key ${input.idempotencyKey} was used for another payment request; use a new key for a new attempt.`,
            );
          }
          payment = await loadPayment(claimed.resource_id);
          if (payment.status !== "REQUIRES_AUTHORIZATION") return payment;
          charge = await pendingCharge(payment.payment_id, "AUTHORIZATION");
          // The processor accepted it for later: its webhook decides, asking again would not.
          if (!charge || charge.processor_reference !== null) return payment;
          if (!authorizations.allowsCalls) throw unavailable("Authorize");
        } else {
          const method = lookup && methodOf(lookup);
          if (
            !method ||
            (input.payer && input.payer.role !== "admin" && method.customer_id !== input.payer.customerId) ||
            (input.ownerId !== undefined && method.customer_id !== input.ownerId)
          ) {
            throw new PaymentError("unknown_token", "The payment token was never issued to this customer.", {
              pointer: "/paymentToken",
            });
          }
          // An open breaker refuses before anything is recorded, so the same key can be retried later.
          if (!authorizations.allowsCalls) throw unavailable("Authorize");
          knownCard = cardFrom(method);
          const now = clock.now().toISOString();
          payment = {
            payment_id: ids.next("pay"),
            order_id: input.orderId,
            checkout_id: input.checkoutId ?? null,
            customer_id: method.customer_id,
            payment_token: method.payment_token,
            card_brand: method.brand,
            card_last4: method.last4,
            amount: input.amount.amount,
            currency: input.amount.currency,
            status: "REQUIRES_AUTHORIZATION",
            amount_captured: 0,
            amount_refunded: 0,
            failure_code: null,
            failure_message: null,
            failure_stage: null,
            void_reason: null,
            correlation_id: input.correlationId,
            processor_path: null,
            authorized_at: null,
            authorization_expires_at: null,
            captured_at: null,
            voided_at: null,
            failed_at: null,
            created_at: now,
            updated_at: now,
          };
          const created = payment;
          // Persisted before the processor is asked, so a crash mid-call resumes this payment rather than making another.
          charge = await db.transaction().execute(async (trx) => {
            await statements.insertPayment.execute(trx, created);
            await statements.insertIdempotencyKey.execute(trx, {
              scope_key: scopeKey,
              request_hash: requestHash.stored,
              resource_id: created.payment_id,
              created_at: now,
            });
            return newCharge(trx, created, "AUTHORIZATION", created.amount);
          });
        }
        const pending = charge;
        const decided = decisionOf(
          await authorizations.authorize({
            reference: pending.charge_id,
            paymentId: payment.payment_id,
            orderId: payment.order_id,
            amount: amountOf(payment),
            card: knownCard ?? (await cardOf(payment)),
          }),
        );
        return db
          .transaction()
          .execute((trx) => settleAuthorization(trx, payment.payment_id, pending.charge_id, decided));
      });
    },

    capture(paymentId, amount) {
      return locks.run(paymentId, async () => {
        const { payment, card: paidWith, chargeOf } = await loadForProcessorCall(paymentId);
        const requested = amount ?? amountOf(payment);
        if (payment.status === "CAPTURED") {
          if (requested.amount === payment.amount_captured && requested.currency === payment.currency) return payment;
          throw new PaymentError(
            "state_conflict",
            `Payment ${paymentId} was captured for ${payment.amount_captured} ${payment.currency} already; one capture per payment.`,
          );
        }
        if (payment.status !== "AUTHORIZED") {
          throw new PaymentError("state_conflict", `Payment ${paymentId} is ${payment.status} and cannot be captured.`);
        }
        requirePositive(requested, "/amount");
        if (requested.currency !== payment.currency) {
          throw new PaymentError(
            "currency_mismatch",
            `Payment ${paymentId} is in ${payment.currency}, not ${requested.currency}.`,
            {
              pointer: "/amount/currency",
            },
          );
        }
        if (requested.amount > payment.amount) {
          throw new PaymentError(
            "invalid",
            `Payment ${paymentId} authorized ${payment.amount} ${payment.currency}; capture at most that.`,
            {
              pointer: "/amount/amount",
            },
          );
        }
        let charge = chargeOf("CAPTURE", "PENDING");
        if (charge?.processor_reference) return payment; // accepted by the processor; its webhook decides
        if (payment.authorization_expires_at && Date.parse(payment.authorization_expires_at) <= clock.now().getTime()) {
          // The hold lapsed at the issuer; a capture attempt is refused there, so record it as that refusal.
          return db.transaction().execute(async (trx) => {
            const lapsed = charge ?? (await newCharge(trx, payment, "CAPTURE", requested.amount));
            await decideCharge(trx, payment.payment_id, lapsed.charge_id, {
              outcome: "failed",
              code: "authorization_expired",
              attempts: 1,
            });
            return (
              (await failPayment(trx, payment.payment_id, "AUTHORIZED", "CAPTURE", "authorization_expired", 1)) ??
              payment
            );
          });
        }
        if (!processor.allowsCalls) throw unavailable("Capture");
        // One insert, atomic on its own.
        charge ??= await newCharge(db, payment, "CAPTURE", requested.amount);
        const pending = charge;
        const authorization = chargeOf("AUTHORIZATION", "SUCCEEDED");
        const decision = await askProcessor(
          payment,
          (target, card) =>
            target.capture({
              reference: pending.charge_id,
              paymentId: payment.payment_id,
              authorization: authorization?.processor_reference ?? "",
              amount: { amount: pending.amount, currency: pending.currency },
              card,
            }),
          paidWith,
        );
        const settled = await db
          .transaction()
          .execute((trx) => settleCapture(trx, paymentId, pending.charge_id, decision));
        if (decision.outcome === "failed" && !ISSUER_DECLINES.has(decision.code)) throw unavailable("Capture");
        return settled;
      });
    },

    void(paymentId, reason) {
      return locks.run(paymentId, async () => {
        const { payment, card: paidWith, chargeOf } = await loadForProcessorCall(paymentId);
        if (payment.status === "VOIDED" || payment.status === "FAILED") return payment;
        if (payment.status !== "AUTHORIZED" && payment.status !== "REQUIRES_AUTHORIZATION") {
          throw new PaymentError(
            "state_conflict",
            `Payment ${paymentId} is ${payment.status}: money that was taken is given back by a refund, not a void.`,
          );
        }
        let charge = chargeOf("VOID", "PENDING");
        if (charge?.processor_reference) return payment;
        if (!processor.allowsCalls) throw unavailable("Void");
        charge ??= await newCharge(db, payment, "VOID", payment.amount);
        const pending = charge;
        const authorization = chargeOf("AUTHORIZATION", "SUCCEEDED") ?? chargeOf("AUTHORIZATION", "PENDING");
        const decision = await askProcessor(
          payment,
          (target, card) =>
            target.void({
              reference: pending.charge_id,
              paymentId: payment.payment_id,
              authorization: authorization?.processor_reference ?? "",
              amount: amountOf(payment),
              card,
            }),
          paidWith,
        );
        const settled = await db
          .transaction()
          .execute((trx) => settleVoid(trx, paymentId, pending.charge_id, decision, reason));
        if (decision.outcome === "failed") throw unavailable("Void");
        return settled;
      });
    },

    refund(input) {
      const scopeKey = `refund:${input.idempotencyKey}`;
      const requestHash = hashOf({
        paymentId: input.paymentId,
        amount: input.amount.amount,
        currency: input.amount.currency,
        reason: input.reason,
      });
      return locks.run(input.paymentId, async () => {
        const claimed = await claimedKey(scopeKey);
        let refund: RefundRow;
        if (claimed) {
          if (!sameRequest(claimed, requestHash)) {
            throw new PaymentError(
              "key_reused",
              `Idempotency key ${input.idempotencyKey} was used for another refund; use a new key for a new refund.`,
            );
          }
          refund = await db
            .selectFrom("refunds")
            .selectAll()
            .where("refund_id", "=", claimed.resource_id)
            .executeTakeFirstOrThrow();
          if (refund.status !== "PENDING" || refund.processor_reference !== null) {
            return { refund, payment: await loadPayment(refund.payment_id) };
          }
          if (!processor.allowsCalls) throw unavailable("Refund");
        } else {
          const payment = await loadPayment(input.paymentId);
          if (payment.status !== "CAPTURED" && payment.status !== "PARTIALLY_REFUNDED") {
            throw new PaymentError(
              "state_conflict",
              payment.status === "AUTHORIZED"
                ? `Payment ${input.paymentId} was never captured; void it instead.`
                : `Payment ${input.paymentId} is ${payment.status} and has nothing to refund.`,
            );
          }
          requirePositive(input.amount, "/amount");
          if (input.amount.currency !== payment.currency) {
            throw new PaymentError(
              "currency_mismatch",
              `Payment ${input.paymentId} was captured in ${payment.currency}; refund in that currency, not ${input.amount.currency}.`,
              { pointer: "/amount/currency" },
            );
          }
          const pendingTotal = await db
            .selectFrom("refunds")
            .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("amount"), eb.val(0)).as("total"))
            .where("payment_id", "=", input.paymentId)
            .where("status", "=", "PENDING")
            .executeTakeFirstOrThrow();
          const refundable = payment.amount_captured - payment.amount_refunded - Number(pendingTotal.total);
          if (input.amount.amount > refundable) {
            throw new PaymentError(
              "exceeds_refundable",
              `Payment ${input.paymentId} has ${refundable} ${payment.currency} left to refund; ${input.amount.amount} ${payment.currency} was asked.`,
              { pointer: "/amount/amount" },
            );
          }
          if (!processor.allowsCalls) throw unavailable("Refund");
          const now = clock.now().toISOString();
          refund = {
            refund_id: ids.next("rfd"),
            payment_id: payment.payment_id,
            amount: input.amount.amount,
            currency: input.amount.currency,
            reason: input.reason,
            note: input.note ?? null,
            status: "PENDING",
            processor_reference: null,
            failure_code: null,
            failure_message: null,
            attempts: 0,
            correlation_id: input.correlationId || payment.correlation_id,
            created_at: now,
            completed_at: null,
          };
          const created = refund;
          await db.transaction().execute(async (trx) => {
            await trx.insertInto("refunds").values(created).execute();
            await trx
              .insertInto("idempotency_keys")
              .values({
                scope_key: scopeKey,
                request_hash: requestHash.stored,
                resource_id: created.refund_id,
                created_at: now,
              })
              .execute();
          });
        }
        const pending = refund;
        const payment = await loadPayment(pending.payment_id);
        const capture = await succeededCharge(pending.payment_id, "CAPTURE");
        const decided = await askProcessor(payment, (target, card) =>
          target.refund({
            reference: pending.refund_id,
            paymentId: payment.payment_id,
            capture: capture?.processor_reference ?? "",
            amount: { amount: pending.amount, currency: pending.currency },
            card,
          }),
        );
        return db.transaction().execute((trx) => settleRefund(trx, pending.refund_id, decided));
      });
    },

    async applyWebhook(event) {
      const payment = await db
        .selectFrom("payments")
        .select("payment_id")
        .where("payment_id", "=", event.data.paymentId)
        .executeTakeFirst();
      if (!payment) throw new PaymentError("not_found", `No payment ${event.data.paymentId}.`);
      const decision: Decision = event.type.endsWith(".succeeded")
        ? { outcome: "succeeded", processorReference: event.data.processorReference }
        : {
            outcome: "failed",
            code: event.data.failureCode ?? "processor_error",
            processorReference: event.data.processorReference,
          };
      const paymentId = payment.payment_id;
      return locks.run(paymentId, () =>
        // The webhook's id is recorded in the transaction that applies it: applied once, or not at all.
        db.transaction().execute(async (trx) => {
          const fresh = await trx
            .insertInto("processor_webhooks")
            .values({ webhook_id: event.id, type: event.type, received_at: clock.now().toISOString() })
            .onConflict((conflict) => conflict.column("webhook_id").doNothing())
            .executeTakeFirst();
          if ((fresh.numInsertedOrUpdatedRows ?? 0n) === 0n) return { duplicate: true };
          // Only an operation still pending is settled, so a notice about one decided already changes nothing.
          if (event.type.startsWith("authorization.")) {
            const charge = await pendingCharge(paymentId, "AUTHORIZATION", trx);
            if (charge) await settleAuthorization(trx, paymentId, charge.charge_id, decision);
          } else if (event.type.startsWith("capture.")) {
            const charge = await pendingCharge(paymentId, "CAPTURE", trx);
            if (charge) await settleCapture(trx, paymentId, charge.charge_id, decision);
          } else if (event.data.refundId) {
            const refund = await trx
              .selectFrom("refunds")
              .select("refund_id")
              .where("refund_id", "=", event.data.refundId)
              .where("payment_id", "=", paymentId)
              .executeTakeFirst();
            if (refund) await settleRefund(trx, refund.refund_id, decision);
          }
          return { duplicate: false };
        }),
      );
    },

    async record(paymentId) {
      const payment = await db
        .selectFrom("payments")
        .selectAll()
        .where("payment_id", "=", paymentId)
        .executeTakeFirst();
      if (!payment) return undefined;
      const [charges, refunds] = await Promise.all([
        db.selectFrom("charges").selectAll().where("payment_id", "=", paymentId).orderBy("charge_id").execute(),
        db.selectFrom("refunds").selectAll().where("payment_id", "=", paymentId).orderBy("refund_id").execute(),
      ]);
      return { payment, charges, refunds };
    },

    webhookSecret() {
      secret ??= (async () => {
        const stored = await db
          .selectFrom("settings")
          .select("value")
          .where("key", "=", "processor_webhook_secret")
          .executeTakeFirst();
        if (stored) return stored.value;
        // Random, not from the seeded source: a secret must not be reproducible from `--seed`.
        const made = `whsec_${randomBytes(24).toString("base64")}`;
        await db
          .insertInto("settings")
          .values({ key: "processor_webhook_secret", value: made })
          .onConflict((conflict) => conflict.column("key").doNothing())
          .execute();
        const kept = await db
          .selectFrom("settings")
          .select("value")
          .where("key", "=", "processor_webhook_secret")
          .executeTakeFirstOrThrow();
        return kept.value;
      })();
      return secret;
    },
  };
}
