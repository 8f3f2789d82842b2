import { randomBytes } from "node:crypto";
import type { Transaction } from "kysely";
import { PaymentError } from "./payment-errors.js";
import type { ProcessorEvent } from "./payment-model.js";
import type { PaymentReads } from "./payment-reads.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import type { Decision } from "./processor-decision.js";
import type { Settlement } from "./settlement.js";
import type { PaymentDatabase } from "./store.js";

/** What the processor's webhooks work with besides the store. */
export interface ProcessorWebhookOptions {
  readonly runtime: PaymentRuntime;
  readonly reads: PaymentReads;
  readonly settlement: Settlement;
}

/** The decision a processor webhook reports. */
function decisionOfEvent(event: ProcessorEvent): Decision {
  return event.type.endsWith(".succeeded")
    ? { outcome: "succeeded", processorReference: event.data.processorReference }
    : {
        outcome: "failed",
        code: event.data.failureCode ?? "processor_error",
        processorReference: event.data.processorReference,
      };
}

/** The processor's webhooks in: their signing secret, and applying each verified one once. */
export class ProcessorWebhooks {
  readonly #runtime: PaymentRuntime;
  readonly #reads: PaymentReads;
  readonly #settlement: Settlement;
  #secret: Promise<string> | undefined;

  constructor({ runtime, reads, settlement }: ProcessorWebhookOptions) {
    this.#runtime = runtime;
    this.#reads = reads;
    this.#settlement = settlement;
  }

  /** Apply a verified processor webhook once; `duplicate` when its id was applied before. */
  async applyWebhook(event: ProcessorEvent): Promise<{ readonly duplicate: boolean }> {
    const { db, clock, locks } = this.#runtime;
    const payment = await db
      .selectFrom("payments")
      .select("payment_id")
      .where("payment_id", "=", event.data.paymentId)
      .executeTakeFirst();
    if (!payment) throw new PaymentError("not_found", `No payment ${event.data.paymentId}.`);
    const decision = decisionOfEvent(event);
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
        await this.#settle(trx, paymentId, event, decision);
        return { duplicate: false };
      }),
    );
  }

  /** The processor's webhook signing secret, made on first use and kept in the store. */
  webhookSecret(): Promise<string> {
    this.#secret ??= this.#readOrMakeSecret();
    return this.#secret;
  }

  /** Only an operation still pending is settled, so a notice about one decided already changes nothing. */
  async #settle(
    trx: Transaction<PaymentDatabase>,
    paymentId: string,
    event: ProcessorEvent,
    decision: Decision,
  ): Promise<void> {
    if (event.type.startsWith("authorization.")) {
      const charge = await this.#reads.pendingCharge(paymentId, "AUTHORIZATION", trx);
      if (charge) await this.#settlement.settleAuthorization(trx, paymentId, charge.charge_id, decision);
    } else if (event.type.startsWith("capture.")) {
      const charge = await this.#reads.pendingCharge(paymentId, "CAPTURE", trx);
      if (charge) await this.#settlement.settleCapture(trx, paymentId, charge.charge_id, decision);
    } else if (event.data.refundId) {
      const refund = await trx
        .selectFrom("refunds")
        .select("refund_id")
        .where("refund_id", "=", event.data.refundId)
        .where("payment_id", "=", paymentId)
        .executeTakeFirst();
      if (refund) await this.#settlement.settleRefund(trx, refund.refund_id, decision);
    }
  }

  async #readOrMakeSecret(): Promise<string> {
    const { db } = this.#runtime;
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
  }
}
