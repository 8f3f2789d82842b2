import { PaymentError, processorUnavailable } from "./payment-errors.js";
import {
  amountOf,
  type ChargeRow,
  type Money,
  type PaymentRow,
  requirePositive,
  type VoidReason,
} from "./payment-model.js";
import type { PaymentForProcessorCall, PaymentReads } from "./payment-reads.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import type { AuthorizationRefusal } from "./processor.js";
import { askProcessor, type Decision, isIssuerDecline } from "./processor-decision.js";
import type { ResilientProcessor } from "./resilient-processor.js";
import type { Settlement } from "./settlement.js";

/** What Capture and Void work with besides the store. */
export interface CaptureAndVoidOptions {
  readonly runtime: PaymentRuntime;
  readonly reads: PaymentReads;
  readonly settlement: Settlement;
  /** The REST processor: captures, voids and refunds. */
  readonly processor: ResilientProcessor;
}

/**
 * Whether `payment` was captured for `requested` already (a repeat, answered as it stands); throws when it cannot
 * be captured for `requested`.
 */
function capturedAlready(payment: PaymentRow, requested: Money): boolean {
  const paymentId = payment.payment_id;
  if (payment.status === "CAPTURED") {
    if (requested.amount === payment.amount_captured && requested.currency === payment.currency) return true;
    throw new PaymentError(
      "state_conflict",
      `Payment ${paymentId} was captured for ${payment.amount_captured} ${payment.currency} already; one capture per payment.`,
    );
  }
  if (payment.status !== "AUTHORIZED") throw captureRefused(paymentId, payment.status);
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
      { pointer: "/amount/amount" },
    );
  }
  return false;
}

/** The refusal of a capture of a payment that is not AUTHORIZED (nor captured already). */
function captureRefused(paymentId: string, status: string): PaymentError {
  return new PaymentError("state_conflict", `Payment ${paymentId} is ${status} and cannot be captured.`);
}

/** The refusal of a void of a payment whose money was taken: that is given back by a refund. */
function voidRefused(paymentId: string, status: string): PaymentError {
  return new PaymentError(
    "state_conflict",
    `Payment ${paymentId} is ${status}: money that was taken is given back by a refund, not a void.`,
  );
}

/** An operation the processor made whose answer this context never recorded, as a refusal of a later one names it. */
interface MovedBy {
  /** The processor's reference of the operation that moved the authorization. */
  readonly by: string;
  /** The refused operation's own decision (without that reference: it belongs to the other operation). */
  readonly refused: Decision;
  /** What a capture that moved it took (minor units), when the processor says. */
  readonly capturedAmount?: number;
}

/**
 * When `decision` is the processor refusing because the authorization was moved already, by `refusal`'s operation
 * (a capture, or a void, whose answer this context never recorded): that operation, as {@link MovedBy}.
 */
function movedBy(decision: Decision, refusal: AuthorizationRefusal): MovedBy | undefined {
  if (decision.outcome !== "failed" || decision.refusal !== refusal) return undefined;
  const { processorReference, capturedAmount, ...refused } = decision;
  return { by: processorReference ?? "", refused, ...(capturedAmount === undefined ? {} : { capturedAmount }) };
}

/** A decision's attempts, when it counted them. */
function attemptsOf(decision: Decision): { readonly attempts?: number } {
  return decision.attempts === undefined ? {} : { attempts: decision.attempts };
}

/** Capture (take an authorized payment's money) and Void (release its hold), one call per payment at a time. */
export class CaptureAndVoid {
  readonly #runtime: PaymentRuntime;
  readonly #reads: PaymentReads;
  readonly #settlement: Settlement;
  readonly #processor: ResilientProcessor;

  constructor({ runtime, reads, settlement, processor }: CaptureAndVoidOptions) {
    this.#runtime = runtime;
    this.#reads = reads;
    this.#settlement = settlement;
    this.#processor = processor;
  }

  /**
   * Capture `amount` (the whole authorization when undefined); a repeat answers the payment as it stands. A void or a
   * capture whose answer was never recorded may have moved the authorization, so the processor's answer decides:
   * refused as voided, that void is recorded (#recordLostVoid) and the capture refused as for any VOIDED payment;
   * refused as captured, that capture is recorded as this one.
   */
  capture(paymentId: string, amount: Money | undefined): Promise<PaymentRow> {
    const { db, clock, locks } = this.#runtime;
    return locks.run(paymentId, async () => {
      const { payment, card: paidWith, chargeOf } = await this.#reads.loadForProcessorCall(paymentId);
      const requested = amount ?? amountOf(payment);
      if (capturedAlready(payment, requested)) return payment;
      let charge = chargeOf("CAPTURE", "PENDING");
      if (charge?.processor_reference) return payment; // accepted by the processor; its webhook decides
      if (payment.authorization_expires_at && Date.parse(payment.authorization_expires_at) <= clock.now().getTime()) {
        return this.#failLapsed(payment, charge, requested);
      }
      this.#refuseWhileUnavailable("Capture");
      // One insert, atomic on its own.
      charge ??= await this.#settlement.newCharge(db, payment, "CAPTURE", requested.amount);
      const pending = charge;
      const authorization = chargeOf("AUTHORIZATION", "SUCCEEDED");
      const card = paidWith ?? (await this.#reads.cardOf(payment));
      const decision = await askProcessor(this.#processor, card, (target, shown) =>
        target.capture({
          reference: pending.charge_id,
          paymentId: payment.payment_id,
          authorization: authorization?.processor_reference ?? "",
          amount: { amount: pending.amount, currency: pending.currency },
          card: shown,
        }),
      );
      const voidedBy = movedBy(decision, "authorization_voided");
      if (voidedBy !== undefined) {
        throw captureRefused(paymentId, (await this.#recordLostVoid(payment, pending, voidedBy, chargeOf)).status);
      }
      // Refused as captured already: an earlier capture of this payment took the money and its answer was lost
      // (every retry of it went unanswered). That capture is this one's: recorded as it, the money taken once.
      const capturedBy = movedBy(decision, "authorization_captured");
      const decided: Decision =
        capturedBy === undefined
          ? decision
          : { outcome: "succeeded", processorReference: capturedBy.by, ...attemptsOf(decision) };
      const settled = await db.transaction().execute(async (trx) => {
        if (capturedBy !== undefined) await this.#settlement.chargeTook(trx, pending, capturedBy.capturedAmount);
        return this.#settlement.settleCapture(trx, paymentId, pending.charge_id, decided);
      });
      if (decided.outcome === "failed" && !isIssuerDecline(decided.code)) {
        throw processorUnavailable("Capture", this.#processor.retryAfterSeconds);
      }
      return settled;
    });
  }

  /**
   * Release an authorization's hold; a payment voided or failed already is answered as it stands. A capture whose
   * answer was never recorded (the process died before it was, or every retry lost it) may have taken the money, so
   * the processor's answer to the void decides: refused as captured, that capture is recorded (the payment CAPTURED,
   * payment.succeeded published) and the void refused as for any captured payment; voided, the capture took nothing
   * and never will (the processor refuses a capture of a voided authorization), and a capture still PENDING is failed.
   */
  void(paymentId: string, reason: VoidReason): Promise<PaymentRow> {
    const { db, locks } = this.#runtime;
    return locks.run(paymentId, async () => {
      const { payment, card: paidWith, chargeOf } = await this.#reads.loadForProcessorCall(paymentId);
      if (payment.status === "VOIDED" || payment.status === "FAILED") return payment;
      if (payment.status !== "AUTHORIZED" && payment.status !== "REQUIRES_AUTHORIZATION") {
        throw voidRefused(paymentId, payment.status);
      }
      let charge = chargeOf("VOID", "PENDING");
      if (charge?.processor_reference) return payment;
      this.#refuseWhileUnavailable("Void");
      charge ??= await this.#settlement.newVoidCharge(db, payment, reason);
      const pending = charge;
      const authorization = chargeOf("AUTHORIZATION", "SUCCEEDED") ?? chargeOf("AUTHORIZATION", "PENDING");
      const card = paidWith ?? (await this.#reads.cardOf(payment));
      const decision = await askProcessor(this.#processor, card, (target, shown) =>
        target.void({
          reference: pending.charge_id,
          paymentId: payment.payment_id,
          authorization: authorization?.processor_reference ?? "",
          amount: amountOf(payment),
          card: shown,
        }),
      );
      const unanswered = chargeOf("CAPTURE", "PENDING");
      const capturedBy = movedBy(decision, "authorization_captured");
      if (capturedBy !== undefined) {
        const captured = await db.transaction().execute(async (trx) => {
          await this.#settlement.settleVoid(trx, paymentId, pending.charge_id, capturedBy.refused, reason);
          // No capture PENDING: the one that took the money was failed as unanswered (its retries got no answer);
          // the capture the processor made is recorded as a charge of its own, for that attempt's amount. Either
          // is recorded for what the processor says it took, when it says.
          const capture =
            unanswered ??
            (await this.#settlement.newCharge(
              trx,
              payment,
              "CAPTURE",
              (chargeOf("CAPTURE", "FAILED") ?? payment).amount,
            ));
          await this.#settlement.chargeTook(trx, capture, capturedBy.capturedAmount);
          return this.#settlement.settleCapture(trx, paymentId, capture.charge_id, {
            outcome: "succeeded",
            processorReference: capturedBy.by,
            attempts: Math.max(1, capture.attempts),
          });
        });
        throw voidRefused(paymentId, captured.status);
      }
      const settled = await db.transaction().execute(async (trx) => {
        const voided = await this.#settlement.settleVoid(trx, paymentId, pending.charge_id, decision, reason);
        if (unanswered && voided.status === "VOIDED") {
          // Released before that capture reached the processor, which now refuses it: it failed, recorded with the
          // code of a capture whose answer never came.
          await this.#settlement.decideCharge(trx, paymentId, unanswered.charge_id, {
            outcome: "failed",
            code: "processor_unavailable",
          });
        }
        return voided;
      });
      if (decision.outcome === "failed") throw processorUnavailable("Void", this.#processor.retryAfterSeconds);
      return settled;
    });
  }

  /**
   * The processor refused to capture `payment` because a void whose answer this context never recorded released its
   * authorization (the process died before recording it, or every retry lost it). In one transaction the capture
   * fails (nothing was taken) and that void is recorded as the mirror of a lost capture is (void): the PENDING VOID
   * charge (or, when its retries had failed it, a new one) settled SUCCEEDED with the void's reference, the payment
   * VOIDED and payment.voided published with the reason the void was asked for. Resolves to the payment as it stands.
   */
  #recordLostVoid(
    payment: PaymentRow,
    capture: ChargeRow,
    voidedBy: MovedBy,
    chargeOf: PaymentForProcessorCall["chargeOf"],
  ): Promise<PaymentRow> {
    const settlement = this.#settlement;
    const paymentId = payment.payment_id;
    return this.#runtime.db.transaction().execute(async (trx) => {
      await settlement.decideCharge(trx, paymentId, capture.charge_id, voidedBy.refused);
      const release = chargeOf("VOID", "PENDING") ?? (await settlement.newCharge(trx, payment, "VOID", payment.amount));
      const decision: Decision = {
        outcome: "succeeded",
        processorReference: voidedBy.by,
        attempts: Math.max(1, release.attempts),
      };
      // Kept when the void was asked (newVoidCharge). A void asked before Void kept it left none: the saga's reason
      // then, the one most voids are asked for.
      const reason = (payment.void_reason ?? "checkout_failed") as VoidReason;
      return settlement.settleVoid(trx, paymentId, release.charge_id, decision, reason);
    });
  }

  /** The hold lapsed at the issuer; a capture attempt is refused there, so record it as that refusal. */
  #failLapsed(payment: PaymentRow, pending: ChargeRow | undefined, requested: Money): Promise<PaymentRow> {
    const settlement = this.#settlement;
    return this.#runtime.db.transaction().execute(async (trx) => {
      const lapsed = pending ?? (await settlement.newCharge(trx, payment, "CAPTURE", requested.amount));
      await settlement.decideCharge(trx, payment.payment_id, lapsed.charge_id, {
        outcome: "failed",
        code: "authorization_expired",
        attempts: 1,
      });
      return (
        (await settlement.failPayment(trx, payment.payment_id, "AUTHORIZED", "CAPTURE", "authorization_expired", 1)) ??
        payment
      );
    });
  }

  /** An open breaker refuses before anything is recorded, so the same call can be made again later. */
  #refuseWhileUnavailable(operation: "Capture" | "Void"): void {
    if (!this.#processor.allowsCalls) throw processorUnavailable(operation, this.#processor.retryAfterSeconds);
  }
}
