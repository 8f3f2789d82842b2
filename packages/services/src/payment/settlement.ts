import type { MessagePayloads, MessageType } from "@ecom/sdk";
import type { Kysely, Transaction, Updateable } from "kysely";
import type { ProcessorPath } from "./authorization-route.js";
import {
  AUTHORIZATION_HOLD_MS,
  amountOf,
  type ChargeRow,
  FAILURE_MESSAGES,
  type FailureCode,
  type PaymentRow,
  type RefundReason,
  type RefundRow,
  type VoidReason,
} from "./payment-model.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import type { ProcessorCard } from "./processor.js";
import { type Decision, isIssuerDecline, statusOf } from "./processor-decision.js";
import type { PaymentDatabase, PaymentTable } from "./store.js";

/** The fields every payment event starts with. */
const eventBase = (payment: PaymentRow) => ({
  paymentId: payment.payment_id,
  orderId: payment.order_id,
  customerId: payment.customer_id,
});

/** The card of a payment as its events show it. */
const cardOnEvent = (payment: PaymentRow) => ({
  brand: payment.card_brand as ProcessorCard["brand"],
  last4: payment.card_last4,
});

/** A payment move: its statement (or its guard and changes), and the event it publishes. */
type PaymentMove<TType extends MessageType> = (
  | { readonly from: readonly string[]; readonly set: Updateable<PaymentTable> }
  | { readonly update: () => Promise<PaymentRow | undefined> }
) & {
  readonly type: TType;
  readonly payloadOf: (moved: PaymentRow) => MessagePayloads[TType];
};

/**
 * Charges and the payment moves their decisions make, each in the caller's transaction with the event it publishes:
 * the synchronous answer and a processor webhook both settle through here, and whichever comes second changes nothing.
 */
export class Settlement {
  readonly #runtime: PaymentRuntime;

  constructor(runtime: PaymentRuntime) {
    this.#runtime = runtime;
  }

  /** A new PENDING charge of `kind` on `payment`, inserted by `executor` (the store, or the caller's transaction). */
  async newCharge(executor: Kysely<PaymentDatabase>, payment: PaymentRow, kind: string, amount: number) {
    const { clock, ids, statements } = this.#runtime;
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
    await statements.insertCharge.execute(executor, row);
    return row;
  }

  /**
   * A new PENDING VOID charge on `payment`, with the void's reason kept on the payment beside it (one transaction): a
   * void whose answer never reached this context is learnt of later (a Capture the processor refuses as voided), and
   * is then published with the reason it was asked for. Until the payment is VOIDED nothing reads the reason.
   */
  newVoidCharge(db: Kysely<PaymentDatabase>, payment: PaymentRow, reason: VoidReason): Promise<ChargeRow> {
    return db.transaction().execute(async (trx) => {
      await trx
        .updateTable("payments")
        .set({ void_reason: reason })
        .where("payment_id", "=", payment.payment_id)
        .execute();
      return this.newCharge(trx, payment, "VOID", payment.amount);
    });
  }

  /**
   * Record on the PENDING charge `charge` the amount (minor units) its operation moved, when the processor says it
   * and it differs from the amount asked: a capture learnt of by a refusal (its answer was lost) took what it was
   * asked for then, which a later Capture may not have asked again.
   */
  async chargeTook(trx: Transaction<PaymentDatabase>, charge: ChargeRow, amount: number | undefined): Promise<void> {
    if (amount === undefined || amount === charge.amount) return;
    await trx
      .updateTable("charges")
      .set({ amount })
      .where("payment_id", "=", charge.payment_id)
      .where("charge_id", "=", charge.charge_id)
      .where("status", "=", "PENDING")
      .execute();
  }

  /**
   * Record a decision on a PENDING charge. Conditional on the charge still being PENDING, so the synchronous answer
   * and a webhook for the same operation apply once between them; undefined when it was decided already.
   */
  decideCharge(trx: Transaction<PaymentDatabase>, paymentId: string, chargeId: string, decision: Decision) {
    return this.#runtime.statements.decideCharge.executeTakeFirst(trx, {
      paymentId,
      chargeId,
      status: statusOf(decision),
      processorReference: decision.processorReference ?? null,
      failureCode: decision.outcome === "failed" ? decision.code : null,
      attempts: decision.attempts ?? null,
      completedAt: decision.outcome === "pending" ? null : this.#runtime.clock.now().toISOString(),
    });
  }

  /** Fail a payment at `stage` and publish payment.failed, if it still stands at `from`. */
  failPayment(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    from: string,
    stage: "AUTHORIZATION" | "CAPTURE",
    code: FailureCode,
    attempts: number,
    message?: string,
  ): Promise<PaymentRow | undefined> {
    const now = this.#runtime.clock.now().toISOString();
    return this.#movePayment(trx, paymentId, {
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
        card: cardOnEvent(failed),
        stage,
        failure: { code, message: failed.failure_message ?? FAILURE_MESSAGES[code] },
        attempts: Math.max(1, attempts),
        failedAt: now,
      }),
    });
  }

  /** Apply an authorization decision, in one transaction with its event. */
  async settleAuthorization(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
  ): Promise<PaymentRow> {
    const { charge, current } = await this.#decideForPayment(trx, paymentId, chargeId, decision);
    if (!charge || decision.outcome === "pending") return current();
    if (decision.outcome === "failed") {
      return (
        (await this.failPayment(
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
    const now = this.#runtime.clock.now();
    const authorized = await this.#movePayment(trx, paymentId, {
      update: () =>
        this.#runtime.statements.authorizePayment.executeTakeFirst(trx, {
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
        card: cardOnEvent(moved),
        chargeId: charge.charge_id,
        ...(moved.processor_path === null ? {} : { processorPath: moved.processor_path as ProcessorPath }),
        authorizedAt: moved.authorized_at!,
        expiresAt: moved.authorization_expires_at!,
      }),
    });
    return authorized ?? current();
  }

  /** Apply a capture decision. A processor problem leaves the payment AUTHORIZED, to be captured again. */
  async settleCapture(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
  ): Promise<PaymentRow> {
    const { charge, current } = await this.#decideForPayment(trx, paymentId, chargeId, decision);
    if (!charge || decision.outcome === "pending") return current();
    if (decision.outcome === "failed") {
      if (!isIssuerDecline(decision.code)) return current();
      return (
        (await this.failPayment(
          trx,
          paymentId,
          "AUTHORIZED",
          "CAPTURE",
          decision.code,
          charge.attempts,
          decision.message,
        )) ?? current()
      );
    }
    const now = this.#runtime.clock.now().toISOString();
    const captured = await this.#movePayment(trx, paymentId, {
      update: () =>
        this.#runtime.statements.capturePayment.executeTakeFirst(trx, {
          paymentId,
          amountCaptured: charge.amount,
          capturedAt: now,
          updatedAt: now,
        }),
      type: "ecommerce.payment.payment.succeeded.v1",
      payloadOf: (moved) => ({
        ...eventBase(moved),
        amount: { amount: charge.amount, currency: moved.currency },
        card: cardOnEvent(moved),
        chargeId: charge.charge_id,
        capturedAt: now,
      }),
    });
    return captured ?? current();
  }

  /** Apply a void decision. */
  async settleVoid(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    chargeId: string,
    decision: Decision,
    reason: VoidReason,
  ): Promise<PaymentRow> {
    const { charge, current } = await this.#decideForPayment(trx, paymentId, chargeId, decision);
    if (!charge || decision.outcome !== "succeeded") return current();
    const now = this.#runtime.clock.now().toISOString();
    const voided = await this.#movePayment(trx, paymentId, {
      from: ["AUTHORIZED", "REQUIRES_AUTHORIZATION"],
      set: { status: "VOIDED", void_reason: reason, voided_at: now, updated_at: now },
      type: "ecommerce.payment.payment.voided.v1",
      payloadOf: (moved) => ({ ...eventBase(moved), amount: amountOf(moved), reason, voidedAt: now }),
    });
    return voided ?? current();
  }

  /** Apply a refund decision; a succeeded refund moves the payment's refunded total and status. */
  async settleRefund(
    trx: Transaction<PaymentDatabase>,
    refundId: string,
    decision: Decision,
  ): Promise<{ readonly refund: RefundRow; readonly payment: PaymentRow }> {
    const now = this.#runtime.clock.now().toISOString();
    const refund = await trx
      .updateTable("refunds")
      .set({
        status: statusOf(decision),
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
    const payment = await this.#paymentIn(trx, current.payment_id);
    if (!refund || decision.outcome !== "succeeded") return { refund: current, payment };
    const total = payment.amount_refunded + refund.amount;
    const status = total >= payment.amount_captured ? "REFUNDED" : "PARTIALLY_REFUNDED";
    const refunded = await trx
      .updateTable("payments")
      .set((eb) => ({ amount_refunded: eb("amount_refunded", "+", refund.amount), status, updated_at: now }))
      .where("payment_id", "=", payment.payment_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.#runtime.outbox.publish(
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
  }

  /** The payment as it stands inside `trx`. */
  async #paymentIn(trx: Transaction<PaymentDatabase>, paymentId: string): Promise<PaymentRow> {
    const row = await this.#runtime.statements.payment.executeTakeFirst(trx, { paymentId });
    if (!row) throw new Error(`Payment ${paymentId} is gone from its own transaction.`);
    return row;
  }

  /**
   * The first step of settling a charge: record its decision. `charge` is undefined when the decision was recorded
   * before, and then the payment must not move again. The payment is read (`current`) only when it is answered
   * as it stands: a move answers the row it wrote.
   */
  async #decideForPayment(trx: Transaction<PaymentDatabase>, paymentId: string, chargeId: string, decision: Decision) {
    const charge = await this.decideCharge(trx, paymentId, chargeId, decision);
    return { charge, current: () => this.#paymentIn(trx, paymentId) };
  }

  /**
   * Move a payment that still stands at one of `from` and publish the move's event in the same transaction.
   * Undefined, and nothing published, when the payment moved on already (the synchronous answer and a webhook race).
   * A move a checkout makes gives its compiled statement as `update` instead of `from` and `set`.
   */
  async #movePayment<TType extends MessageType>(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    move: PaymentMove<TType>,
  ): Promise<PaymentRow | undefined> {
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
    await this.#runtime.outbox.publish(trx, move.type, move.payloadOf(moved), {
      partitionKey: moved.payment_id,
      correlationId: moved.correlation_id,
    });
    return moved;
  }
}
