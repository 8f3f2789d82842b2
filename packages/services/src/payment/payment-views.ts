import type { paymentApi } from "@ecom/sdk";
import type { ChargeRow, PaymentMethodRow, PaymentRecord, RefundRow } from "./payment-model.js";

type Schemas = paymentApi.components["schemas"];

/** The REST PaymentMethod of a tokenized card. */
export function toPaymentMethod(row: PaymentMethodRow): Schemas["PaymentMethod"] {
  return {
    paymentToken: row.payment_token,
    customerId: row.customer_id,
    type: "card",
    brand: row.brand as Schemas["CardBrand"],
    last4: row.last4,
    expMonth: row.exp_month,
    expYear: row.exp_year,
    holderName: row.holder_name,
    createdAt: row.created_at,
  };
}

function toCharge(row: ChargeRow): Schemas["Charge"] {
  return {
    chargeId: row.charge_id,
    kind: row.kind as Schemas["ChargeKind"],
    amount: { amount: row.amount, currency: row.currency },
    status: row.status as Schemas["Charge"]["status"],
    ...(row.processor_reference === null ? {} : { processorReference: row.processor_reference }),
    ...(row.failure_code === null ? {} : { failureCode: row.failure_code as Schemas["PaymentFailureCode"] }),
    // A charge still waiting for the processor is on its first attempt.
    attempts: Math.max(1, row.attempts),
    createdAt: row.created_at,
    ...(row.completed_at === null ? {} : { completedAt: row.completed_at }),
  };
}

/** The REST Refund of a stored refund. */
export function toRefund(row: RefundRow, orderId: string): Schemas["Refund"] {
  return {
    refundId: row.refund_id,
    paymentId: row.payment_id,
    orderId,
    amount: { amount: row.amount, currency: row.currency },
    reason: row.reason as Schemas["RefundReason"],
    ...(row.note === null ? {} : { note: row.note }),
    status: row.status as Schemas["Refund"]["status"],
    ...(row.processor_reference === null ? {} : { processorReference: row.processor_reference }),
    createdAt: row.created_at,
    ...(row.completed_at === null ? {} : { completedAt: row.completed_at }),
  };
}

/** The REST Payment of a payment with its charges and refunds (the contract keeps the last 50 of each). */
export function toPayment({ payment, charges, refunds }: PaymentRecord): Schemas["Payment"] {
  const money = (amount: number) => ({ amount, currency: payment.currency });
  const optional = <TKey extends string>(key: TKey, value: string | null) =>
    (value === null ? {} : { [key]: value }) as Partial<Record<TKey, string>>;
  return {
    paymentId: payment.payment_id,
    orderId: payment.order_id,
    customerId: payment.customer_id,
    status: payment.status as Schemas["PaymentStatus"],
    amount: money(payment.amount),
    amountCaptured: money(payment.amount_captured),
    amountRefunded: money(payment.amount_refunded),
    paymentMethod: {
      paymentToken: payment.payment_token,
      brand: payment.card_brand as Schemas["CardBrand"],
      last4: payment.card_last4,
    },
    charges: charges.slice(-50).map(toCharge),
    refunds: refunds.slice(-50).map((refund) => toRefund(refund, payment.order_id)),
    ...(payment.failure_code === null
      ? {}
      : {
          failure: {
            code: payment.failure_code as Schemas["PaymentFailureCode"],
            message: payment.failure_message ?? "",
            ...(payment.failure_stage === null
              ? {}
              : { stage: payment.failure_stage as NonNullable<Schemas["PaymentFailure"]["stage"]> }),
          },
        }),
    ...(payment.processor_path === null ? {} : { processorPath: payment.processor_path as Schemas["ProcessorPath"] }),
    ...optional("authorizedAt", payment.authorized_at),
    ...optional("authorizationExpiresAt", payment.authorization_expires_at),
    ...optional("capturedAt", payment.captured_at),
    ...optional("voidedAt", payment.voided_at),
    ...optional("failedAt", payment.failed_at),
    createdAt: payment.created_at,
    updatedAt: payment.updated_at,
  };
}
