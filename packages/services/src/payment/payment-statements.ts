import { type Kysely, type Selectable, sql } from "kysely";
import { compileQuery, type Param } from "../platform/index.js";
import type { ChargeTable, IdempotencyKeyTable, PaymentDatabase, PaymentTable } from "./store.js";

/** Every column of a table, named once each: a column added to the table and not here fails to compile. */
function columnsOf<TRow>(columns: { readonly [TColumn in keyof TRow]-?: true }): (keyof TRow & string)[] {
  return Object.keys(columns) as (keyof TRow & string)[];
}

/** A row of `param`s, one per column: an insert of the whole row compiled once. */
function paramRow<TRow>(param: Param<TRow>, columns: readonly (keyof TRow & string)[]): TRow {
  return Object.fromEntries(columns.map((column) => [column, param(column)])) as TRow;
}

const PAYMENT_COLUMNS = columnsOf<Selectable<PaymentTable>>({
  payment_id: true,
  order_id: true,
  checkout_id: true,
  customer_id: true,
  payment_token: true,
  card_brand: true,
  card_last4: true,
  amount: true,
  currency: true,
  status: true,
  amount_captured: true,
  amount_refunded: true,
  failure_code: true,
  failure_message: true,
  failure_stage: true,
  void_reason: true,
  correlation_id: true,
  processor_path: true,
  authorized_at: true,
  authorization_expires_at: true,
  captured_at: true,
  voided_at: true,
  failed_at: true,
  created_at: true,
  updated_at: true,
});

const CHARGE_COLUMNS = columnsOf<Selectable<ChargeTable>>({
  charge_id: true,
  payment_id: true,
  kind: true,
  amount: true,
  currency: true,
  status: true,
  processor_reference: true,
  failure_code: true,
  attempts: true,
  created_at: true,
  completed_at: true,
});

/** What {@link PaymentStatements.decideCharge} records; a null value leaves its column as it is. */
export interface ChargeDecision {
  /** The charge's key is its payment's id and its own. */
  readonly paymentId: string;
  readonly chargeId: string;
  readonly status: "SUCCEEDED" | "FAILED" | "PENDING";
  readonly processorReference: string | null;
  readonly failureCode: string | null;
  readonly attempts: number | null;
  readonly completedAt: string | null;
}

/**
 * The payment store's statements of a checkout (authorize, then capture), each built and compiled once when the
 * context is made (`compileQuery`): Kysely's building and compiling of a small statement costs more CPU than SQLite's
 * running of it. Each runs on the store or on a transaction, on SQLite and PostgreSQL alike.
 */
export function createPaymentStatements(db: Kysely<PaymentDatabase>) {
  return {
    /** An idempotency key by its scope. */
    idempotencyKey: compileQuery((param: Param<{ scopeKey: string }>) =>
      db.selectFrom("idempotency_keys").selectAll().where("scope_key", "=", param("scopeKey")),
    ),
    insertIdempotencyKey: compileQuery((param: Param<Selectable<IdempotencyKeyTable>>) =>
      db.insertInto("idempotency_keys").values(
        paramRow(
          param,
          columnsOf<Selectable<IdempotencyKeyTable>>({
            scope_key: true,
            request_hash: true,
            resource_id: true,
            created_at: true,
          }),
        ),
      ),
    ),
    /**
     * Authorize's two lookups in one row: its idempotency key's columns (null when the key is new) beside the card of
     * its token (null when there is none), joined to a one-row table so that either may be missing.
     */
    keyAndMethod: compileQuery((param: Param<{ scopeKey: string; paymentToken: string }>) =>
      db
        .selectFrom(sql<{ one: number }>`(select 1 as one)`.as("lookup"))
        .leftJoin("idempotency_keys", (join) => join.on("idempotency_keys.scope_key", "=", param("scopeKey")))
        .leftJoin("payment_methods", (join) => join.on("payment_methods.payment_token", "=", param("paymentToken")))
        .select([
          "idempotency_keys.scope_key as key_scope_key",
          "idempotency_keys.request_hash as key_request_hash",
          "idempotency_keys.resource_id as key_resource_id",
          "idempotency_keys.created_at as key_created_at",
          "payment_methods.payment_token as method_payment_token",
          "payment_methods.customer_id as method_customer_id",
          "payment_methods.brand as method_brand",
          "payment_methods.last4 as method_last4",
          "payment_methods.exp_month as method_exp_month",
          "payment_methods.exp_year as method_exp_year",
          "payment_methods.holder_name as method_holder_name",
          "payment_methods.outcome as method_outcome",
          "payment_methods.created_at as method_created_at",
        ]),
    ),
    /** A tokenized card by its token. */
    paymentMethod: compileQuery((param: Param<{ paymentToken: string }>) =>
      db.selectFrom("payment_methods").selectAll().where("payment_token", "=", param("paymentToken")),
    ),
    /** A payment by its id. */
    payment: compileQuery((param: Param<{ paymentId: string }>) =>
      db.selectFrom("payments").selectAll().where("payment_id", "=", param("paymentId")),
    ),
    insertPayment: compileQuery((param: Param<Selectable<PaymentTable>>) =>
      db.insertInto("payments").values(paramRow(param, PAYMENT_COLUMNS)),
    ),
    insertCharge: compileQuery((param: Param<Selectable<ChargeTable>>) =>
      db.insertInto("charges").values(paramRow(param, CHARGE_COLUMNS)),
    ),
    /**
     * A payment, its card's columns (null when its method is gone) and its charges newest first, one row per charge
     * (one row of null charge columns when it has none): what a capture or a void shows the processor and looks up.
     */
    paymentWithCardAndCharges: compileQuery((param: Param<{ paymentId: string }>) =>
      db
        .selectFrom("payments")
        .leftJoin("payment_methods", "payment_methods.payment_token", "payments.payment_token")
        .leftJoin("charges", "charges.payment_id", "payments.payment_id")
        .selectAll("payments")
        .select([
          "payment_methods.brand as method_brand",
          "payment_methods.last4 as method_last4",
          "payment_methods.exp_month as method_exp_month",
          "payment_methods.exp_year as method_exp_year",
          "payment_methods.outcome as method_outcome",
          "charges.charge_id as charge_charge_id",
          "charges.kind as charge_kind",
          "charges.amount as charge_amount",
          "charges.currency as charge_currency",
          "charges.status as charge_status",
          "charges.processor_reference as charge_processor_reference",
          "charges.failure_code as charge_failure_code",
          "charges.attempts as charge_attempts",
          "charges.created_at as charge_created_at",
          "charges.completed_at as charge_completed_at",
        ])
        .where("payments.payment_id", "=", param("paymentId"))
        .orderBy("charges.charge_id", "desc"),
    ),
    /**
     * Record a decision on a charge still PENDING (one statement for every kind of decision: a null leaves its column
     * as it is); its row, or none when it was decided already.
     */
    decideCharge: compileQuery((param: Param<ChargeDecision>) =>
      db
        .updateTable("charges")
        .set({
          status: param("status"),
          processor_reference: sql<
            string | null
          >`coalesce(${param("processorReference")}, ${sql.ref("processor_reference")})`,
          failure_code: sql<string | null>`coalesce(${param("failureCode")}, ${sql.ref("failure_code")})`,
          attempts: sql<number>`coalesce(${param("attempts")}, ${sql.ref("attempts")})`,
          completed_at: sql<string | null>`coalesce(${param("completedAt")}, ${sql.ref("completed_at")})`,
        })
        .where("payment_id", "=", param("paymentId"))
        .where("charge_id", "=", param("chargeId"))
        .where("status", "=", "PENDING")
        .returningAll(),
    ),
    /** REQUIRES_AUTHORIZATION → AUTHORIZED; a null path leaves the column as it is. */
    authorizePayment: compileQuery(
      (
        param: Param<{
          paymentId: string;
          processorPath: string | null;
          authorizedAt: string;
          expiresAt: string;
          updatedAt: string;
        }>,
      ) =>
        db
          .updateTable("payments")
          .set({
            status: "AUTHORIZED",
            processor_path: sql<string | null>`coalesce(${param("processorPath")}, ${sql.ref("processor_path")})`,
            authorized_at: param("authorizedAt"),
            authorization_expires_at: param("expiresAt"),
            updated_at: param("updatedAt"),
          })
          .where("payment_id", "=", param("paymentId"))
          .where("status", "in", ["REQUIRES_AUTHORIZATION"])
          .returningAll(),
    ),
    /** AUTHORIZED → CAPTURED. */
    capturePayment: compileQuery(
      (param: Param<{ paymentId: string; amountCaptured: number; capturedAt: string; updatedAt: string }>) =>
        db
          .updateTable("payments")
          .set({
            status: "CAPTURED",
            amount_captured: param("amountCaptured"),
            captured_at: param("capturedAt"),
            updated_at: param("updatedAt"),
          })
          .where("payment_id", "=", param("paymentId"))
          .where("status", "in", ["AUTHORIZED"])
          .returningAll(),
    ),
  };
}

/** The statements of one payment store. */
export type PaymentStatements = ReturnType<typeof createPaymentStatements>;
