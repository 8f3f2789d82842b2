/**
 * The payment context's own database. Money is integer minor units beside its currency; timestamps are ISO
 * strings (UTC). No card number is ever stored: a payment method keeps the brand, the last four digits, the expiry
 * and which simulated processor outcome the card stands for.
 */
export interface PaymentDatabase {
  payment_methods: PaymentMethodTable;
  payments: PaymentTable;
  charges: ChargeTable;
  refunds: RefundTable;
  idempotency_keys: IdempotencyKeyTable;
  processor_webhooks: ProcessorWebhookTable;
  settings: SettingTable;
}

/** A tokenized card. */
export interface PaymentMethodTable {
  payment_token: string;
  customer_id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  holder_name: string;
  /** approve, card_declined, insufficient_funds or processor_error: what the simulated processor does with it. */
  outcome: string;
  created_at: string;
}

/** A payment intent and where it stands. */
export interface PaymentTable {
  payment_id: string;
  order_id: string;
  /** The checkout that authorized it, when the Checkout Saga did. */
  checkout_id: string | null;
  customer_id: string;
  payment_token: string;
  card_brand: string;
  card_last4: string;
  amount: number;
  currency: string;
  /** REQUIRES_AUTHORIZATION, AUTHORIZED, CAPTURED, VOIDED, FAILED, PARTIALLY_REFUNDED or REFUNDED. */
  status: string;
  amount_captured: number;
  amount_refunded: number;
  failure_code: string | null;
  failure_message: string | null;
  failure_stage: string | null;
  void_reason: string | null;
  /** The flow the payment belongs to (the checkout's correlation id), for the events of later steps. */
  correlation_id: string;
  /** soap or rest: the processor's interface that authorized it; null before, and for payments older than SOAP. */
  processor_path: string | null;
  authorized_at: string | null;
  authorization_expires_at: string | null;
  captured_at: string | null;
  voided_at: string | null;
  failed_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One operation on the processor (authorization, capture, void): the audit trail. */
export interface ChargeTable {
  charge_id: string;
  payment_id: string;
  kind: string;
  amount: number;
  currency: string;
  /** PENDING while the processor has not decided, then SUCCEEDED or FAILED. */
  status: string;
  processor_reference: string | null;
  failure_code: string | null;
  attempts: number;
  created_at: string;
  completed_at: string | null;
}

/** A refund of part or all of a captured payment. */
export interface RefundTable {
  refund_id: string;
  payment_id: string;
  amount: number;
  currency: string;
  reason: string;
  note: string | null;
  status: string;
  processor_reference: string | null;
  failure_code: string | null;
  failure_message: string | null;
  attempts: number;
  correlation_id: string;
  created_at: string;
  completed_at: string | null;
}

/** An idempotency key of Authorize or Refund, bound to its request, kept 24 hours. */
export interface IdempotencyKeyTable {
  /** `authorize:<key>`, `refund:<key>`, or the REST forms scoped by caller. */
  scope_key: string;
  request_hash: string;
  /** The payment (authorize) or refund (refund) the key produced. */
  resource_id: string;
  created_at: string;
}

/** Processor webhooks already applied, by webhook-id: a redelivery changes nothing. */
export interface ProcessorWebhookTable {
  webhook_id: string;
  type: string;
  received_at: string;
}

/** Context settings, e.g. the processor's webhook signing secret. */
export interface SettingTable {
  key: string;
  value: string;
}
