import { PaymentError, processorUnavailable } from "./payment-errors.js";
import {
  type IdempotencyKeyRow,
  type PaymentRow,
  type RefundInput,
  type RefundRow,
  requirePositive,
} from "./payment-model.js";
import type { PaymentReads } from "./payment-reads.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import { askProcessor } from "./processor-decision.js";
import { claimedKey, type RequestHash, requestHashOf, sameRequest } from "./request-idempotency.js";
import type { ResilientProcessor } from "./resilient-processor.js";
import type { Settlement } from "./settlement.js";

/** What Refund works with besides the store. */
export interface RefundOptions {
  readonly runtime: PaymentRuntime;
  readonly reads: PaymentReads;
  readonly settlement: Settlement;
  /** The REST processor: captures, voids and refunds. */
  readonly processor: ResilientProcessor;
}

/** A refund as its operation answers it: the refund and its payment as they stand. */
export interface RefundAnswer {
  readonly refund: RefundRow;
  readonly payment: PaymentRow;
}

/** Refund: give back part or all of a captured payment, once per idempotency key. */
export class Refunds {
  readonly #runtime: PaymentRuntime;
  readonly #reads: PaymentReads;
  readonly #settlement: Settlement;
  readonly #processor: ResilientProcessor;

  constructor({ runtime, reads, settlement, processor }: RefundOptions) {
    this.#runtime = runtime;
    this.#reads = reads;
    this.#settlement = settlement;
    this.#processor = processor;
  }

  /** Refund `input`; a repeat of its key answers the refund the first call made, as it stands. */
  refund(input: RefundInput): Promise<RefundAnswer> {
    const { db, locks } = this.#runtime;
    const scopeKey = `refund:${input.idempotencyKey}`;
    const requestHash = requestHashOf({
      paymentId: input.paymentId,
      amount: input.amount.amount,
      currency: input.amount.currency,
      reason: input.reason,
    });
    return locks.run(input.paymentId, async () => {
      const claimed = await claimedKey(this.#runtime, scopeKey);
      const step = claimed
        ? await this.#resume(input, claimed, requestHash)
        : await this.#start(input, scopeKey, requestHash);
      if ("answer" in step) return step.answer;
      const pending = step;
      const payment = await this.#reads.loadPayment(pending.payment_id);
      const capture = await this.#reads.succeededCharge(pending.payment_id, "CAPTURE");
      const decided = await askProcessor(this.#processor, await this.#reads.cardOf(payment), (target, card) =>
        target.refund({
          reference: pending.refund_id,
          paymentId: payment.payment_id,
          capture: capture?.processor_reference ?? "",
          amount: { amount: pending.amount, currency: pending.currency },
          card,
        }),
      );
      return db.transaction().execute((trx) => this.#settlement.settleRefund(trx, pending.refund_id, decided));
    });
  }

  /** A repeat of a key claimed before: its refund as it stands, or the refund still to be asked of the processor. */
  async #resume(
    input: RefundInput,
    claimed: IdempotencyKeyRow,
    requestHash: RequestHash,
  ): Promise<{ readonly answer: RefundAnswer } | RefundRow> {
    if (!sameRequest(claimed, requestHash)) {
      throw new PaymentError(
        "key_reused",
        `Idempotency key ${input.idempotencyKey} was used for another refund; use a new key for a new refund.`,
      );
    }
    const refund = await this.#runtime.db
      .selectFrom("refunds")
      .selectAll()
      .where("refund_id", "=", claimed.resource_id)
      .executeTakeFirstOrThrow();
    if (refund.status !== "PENDING" || refund.processor_reference !== null) {
      return { answer: { refund, payment: await this.#reads.loadPayment(refund.payment_id) } };
    }
    this.#refuseWhileUnavailable();
    return refund;
  }

  /** A new key: the refund and its key, stored before the processor is asked. */
  async #start(input: RefundInput, scopeKey: string, requestHash: RequestHash): Promise<RefundRow> {
    const { db, clock, ids } = this.#runtime;
    const payment = await this.#reads.loadPayment(input.paymentId);
    await this.#requireRefundable(input, payment);
    this.#refuseWhileUnavailable();
    const now = clock.now().toISOString();
    const refund: RefundRow = {
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
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("refunds").values(refund).execute();
      await trx
        .insertInto("idempotency_keys")
        .values({
          scope_key: scopeKey,
          request_hash: requestHash.stored,
          resource_id: refund.refund_id,
          created_at: now,
        })
        .execute();
    });
    return refund;
  }

  /** Refuse a refund `payment` cannot give: not captured, another currency, or more than is left to refund. */
  async #requireRefundable(input: RefundInput, payment: PaymentRow): Promise<void> {
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
    const pendingTotal = await this.#runtime.db
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
  }

  /** An open breaker refuses before anything is recorded, so the same key can be retried later. */
  #refuseWhileUnavailable(): void {
    if (!this.#processor.allowsCalls) throw processorUnavailable("Refund", this.#processor.retryAfterSeconds);
  }
}
