import type { AuthorizationRoute } from "./authorization-route.js";
import { type AuthorizeLookup, keyOf, methodOf } from "./authorize-lookup.js";
import { PaymentError, processorUnavailable } from "./payment-errors.js";
import { cardFrom } from "./payment-methods.js";
import {
  type AuthorizeInput,
  amountOf,
  type ChargeRow,
  type IdempotencyKeyRow,
  type PaymentMethodRow,
  type PaymentRow,
  requirePositive,
} from "./payment-model.js";
import type { PaymentReads } from "./payment-reads.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import type { ProcessorCard } from "./processor.js";
import { decisionOf } from "./processor-decision.js";
import { claimedKey, type RequestHash, requestHashOf, sameRequest } from "./request-idempotency.js";
import type { Settlement } from "./settlement.js";

/** What Authorize works with besides the store. */
export interface AuthorizationOptions {
  readonly runtime: PaymentRuntime;
  readonly reads: PaymentReads;
  readonly settlement: Settlement;
  /** Where authorizations go: SOAP first, then REST (authorization-route.ts). */
  readonly authorizations: AuthorizationRoute;
}

/** A payment whose authorization charge waits for the processor to be asked. */
interface PendingAuthorization {
  readonly payment: PaymentRow;
  readonly charge: ChargeRow;
  /** A new payment's card was just read with its token; a resumed one's is read when the processor is asked. */
  readonly card?: ProcessorCard;
}

/** A new payment of `input`, paid with `method`, not yet authorized. */
function newPaymentRow(made: {
  readonly paymentId: string;
  readonly input: AuthorizeInput;
  readonly method: PaymentMethodRow;
  readonly now: string;
}): PaymentRow {
  const { input, method, now } = made;
  return {
    payment_id: made.paymentId,
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
}

/** Authorize: hold a payment's amount on its card, once per idempotency key. */
export class PaymentAuthorization {
  readonly #runtime: PaymentRuntime;
  readonly #reads: PaymentReads;
  readonly #settlement: Settlement;
  readonly #authorizations: AuthorizationRoute;

  constructor({ runtime, reads, settlement, authorizations }: AuthorizationOptions) {
    this.#runtime = runtime;
    this.#reads = reads;
    this.#settlement = settlement;
    this.#authorizations = authorizations;
  }

  /** Authorize `input`'s amount; a repeat of its key answers the payment the first call made, as it stands. */
  async authorize(input: AuthorizeInput): Promise<PaymentRow> {
    const { db, statements, locks } = this.#runtime;
    requirePositive(input.amount, "/amount");
    const scopeKey = `authorize:${input.idempotencyKey}`;
    const requestHash = requestHashOf({
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
      const claimed = await claimedKey(this.#runtime, scopeKey, Promise.resolve(lookup && keyOf(lookup)));
      const step = claimed
        ? await this.#resume(input, claimed, requestHash)
        : await this.#start(input, scopeKey, requestHash, lookup);
      if ("answer" in step) return step.answer;
      const { payment, charge } = step;
      const decided = decisionOf(
        await this.#authorizations.authorize({
          reference: charge.charge_id,
          paymentId: payment.payment_id,
          orderId: payment.order_id,
          amount: amountOf(payment),
          card: step.card ?? (await this.#reads.cardOf(payment)),
        }),
      );
      return db
        .transaction()
        .execute((trx) => this.#settlement.settleAuthorization(trx, payment.payment_id, charge.charge_id, decided));
    });
  }

  /**
   * A repeat of a key claimed before: the payment it made as it stands, or its authorization still to be asked
   * (a crash came between the two).
   */
  async #resume(
    input: AuthorizeInput,
    claimed: IdempotencyKeyRow,
    requestHash: RequestHash,
  ): Promise<{ readonly answer: PaymentRow } | PendingAuthorization> {
    if (!sameRequest(claimed, requestHash)) {
      throw new PaymentError(
        "key_reused",
        `Idempotency key ${input.idempotencyKey} was used for another payment request; use a new key for a new attempt.`,
      );
    }
    const payment = await this.#reads.loadPayment(claimed.resource_id);
    if (payment.status !== "REQUIRES_AUTHORIZATION") return { answer: payment };
    const charge = await this.#reads.pendingCharge(payment.payment_id, "AUTHORIZATION");
    // The processor accepted it for later: its webhook decides, asking again would not.
    if (!charge || charge.processor_reference !== null) return { answer: payment };
    this.#refuseWhileUnavailable();
    return { payment, charge };
  }

  /** A new key: the payment, its key and its pending charge, stored before the processor is asked. */
  async #start(
    input: AuthorizeInput,
    scopeKey: string,
    requestHash: RequestHash,
    lookup: AuthorizeLookup | undefined,
  ): Promise<PendingAuthorization> {
    const { db, clock, ids, statements } = this.#runtime;
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
    this.#refuseWhileUnavailable();
    const card = cardFrom(method);
    const now = clock.now().toISOString();
    const payment = newPaymentRow({ paymentId: ids.next("pay"), input, method, now });
    // Persisted before the processor is asked, so a crash mid-call resumes this payment rather than making another.
    const charge = await db.transaction().execute(async (trx) => {
      await statements.insertPayment.execute(trx, payment);
      await statements.insertIdempotencyKey.execute(trx, {
        scope_key: scopeKey,
        request_hash: requestHash.stored,
        resource_id: payment.payment_id,
        created_at: now,
      });
      return this.#settlement.newCharge(trx, payment, "AUTHORIZATION", payment.amount);
    });
    return { payment, charge, card };
  }

  #refuseWhileUnavailable(): void {
    const route = this.#authorizations;
    if (!route.allowsCalls) throw processorUnavailable("Authorize", route.retryAfterSeconds);
  }
}
