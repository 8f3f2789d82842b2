import type { Kysely } from "kysely";
import type { CardOutcome } from "./cards.js";
import { PaymentError } from "./payment-errors.js";
import { cardFrom } from "./payment-methods.js";
import type { ChargeRow, PaymentRecord, PaymentRow } from "./payment-model.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import type { PaymentStatements } from "./payment-statements.js";
import type { ProcessorCard } from "./processor.js";
import type { PaymentDatabase } from "./store.js";

/** One row of {@link PaymentStatements.paymentWithCardAndCharges}: the payment, its card's and one charge's columns. */
type PaymentCardChargeRow = Awaited<ReturnType<PaymentStatements["paymentWithCardAndCharges"]["execute"]>>[number];

/** A payment, the card it is paid with and its charges, as a capture or a void needs them. */
export interface PaymentForProcessorCall {
  readonly payment: PaymentRow;
  /** Undefined when the payment's method is gone. */
  readonly card: ProcessorCard | undefined;
  /** The newest charge of `kind` standing at `status`. */
  readonly chargeOf: (kind: string, status: string) => ChargeRow | undefined;
}

/**
 * The charge of one of a payment's joined rows, or undefined for the one row of a payment without charges. A charge's
 * columns that are NOT NULL are all null or none is; each is checked so the compiler sees every one non-null.
 */
function chargeOfRow(row: PaymentCardChargeRow): ChargeRow | undefined {
  const {
    charge_charge_id,
    charge_kind,
    charge_amount,
    charge_currency,
    charge_status,
    charge_attempts,
    charge_created_at,
  } = row;
  if (
    charge_charge_id === null ||
    charge_kind === null ||
    charge_amount === null ||
    charge_currency === null ||
    charge_status === null ||
    charge_attempts === null ||
    charge_created_at === null
  ) {
    return undefined;
  }
  return {
    charge_id: charge_charge_id,
    payment_id: row.payment_id,
    kind: charge_kind,
    amount: charge_amount,
    currency: charge_currency,
    status: charge_status,
    processor_reference: row.charge_processor_reference,
    failure_code: row.charge_failure_code,
    attempts: charge_attempts,
    created_at: charge_created_at,
    completed_at: row.charge_completed_at,
  };
}

/** The charges of a payment's joined rows. */
function chargesOf(rows: readonly PaymentCardChargeRow[]): ChargeRow[] {
  const charges: ChargeRow[] = [];
  for (const row of rows) {
    const charge = chargeOfRow(row);
    if (charge) charges.push(charge);
  }
  return charges;
}

/** The payment and its card of a payment's first joined row. */
function paymentAndCardOf(first: PaymentCardChargeRow): { payment: PaymentRow; card: ProcessorCard | undefined } {
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
  return { payment, card };
}

/** The payment store's reads that more than one operation makes. */
export class PaymentReads {
  readonly #db: PaymentRuntime["db"];
  readonly #statements: PaymentStatements;

  constructor({ db, statements }: PaymentRuntime) {
    this.#db = db;
    this.#statements = statements;
  }

  /** A payment by its id; not_found when there is none. */
  async loadPayment(paymentId: string): Promise<PaymentRow> {
    const row = await this.#statements.payment.executeTakeFirst(this.#db, { paymentId });
    if (!row) throw new PaymentError("not_found", `No payment ${paymentId}.`);
    return row;
  }

  /** The card `payment` is paid with, as the processor is shown it. */
  async cardOf(payment: PaymentRow): Promise<ProcessorCard> {
    const method = await this.#statements.paymentMethod.executeTakeFirst(this.#db, {
      paymentToken: payment.payment_token,
    });
    if (!method) throw new Error(`The payment method of payment ${payment.payment_id} is gone.`);
    return cardFrom(method);
  }

  /**
   * A payment, the card it is paid with and its charges, in one read (a capture or a void shows the processor the
   * card, and needs its own pending charge and the authorization's; a payment has a handful of charges at most).
   * The card is undefined when the payment's method is gone, and asking the processor then fails as
   * {@link cardOf} does.
   */
  async loadForProcessorCall(paymentId: string): Promise<PaymentForProcessorCall> {
    const rows = await this.#statements.paymentWithCardAndCharges.execute(this.#db, { paymentId });
    const first = rows[0];
    if (!first) throw new PaymentError("not_found", `No payment ${paymentId}.`);
    const charges = chargesOf(rows);
    const { payment, card } = paymentAndCardOf(first);
    const chargeOf = (kind: string, status: string) =>
      charges.find((charge) => charge.kind === kind && charge.status === status);
    return { payment, card, chargeOf };
  }

  /** The newest charge of `kind` still PENDING, on the store or inside a transaction. */
  pendingCharge(
    paymentId: string,
    kind: string,
    executor: Kysely<PaymentDatabase> = this.#db,
  ): Promise<ChargeRow | undefined> {
    return executor
      .selectFrom("charges")
      .selectAll()
      .where("payment_id", "=", paymentId)
      .where("kind", "=", kind)
      .where("status", "=", "PENDING")
      .orderBy("charge_id", "desc")
      .executeTakeFirst();
  }

  /** The newest charge of `kind` that SUCCEEDED. */
  succeededCharge(paymentId: string, kind: string): Promise<ChargeRow | undefined> {
    return this.#db
      .selectFrom("charges")
      .selectAll()
      .where("payment_id", "=", paymentId)
      .where("kind", "=", kind)
      .where("status", "=", "SUCCEEDED")
      .orderBy("charge_id", "desc")
      .executeTakeFirst();
  }

  /** A payment with its charges and refunds, oldest first; undefined when there is no such payment. */
  async record(paymentId: string): Promise<PaymentRecord | undefined> {
    const db = this.#db;
    const payment = await db.selectFrom("payments").selectAll().where("payment_id", "=", paymentId).executeTakeFirst();
    if (!payment) return undefined;
    const [charges, refunds] = await Promise.all([
      db.selectFrom("charges").selectAll().where("payment_id", "=", paymentId).orderBy("charge_id").execute(),
      db.selectFrom("refunds").selectAll().where("payment_id", "=", paymentId).orderBy("refund_id").execute(),
    ]);
    return { payment, charges, refunds };
  }
}
