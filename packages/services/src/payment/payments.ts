import type { ContextRuntime } from "../platform/index.js";
import { KeyedLock } from "../platform/keyed-lock.js";
import { PaymentAuthorization } from "./authorization.js";
import type { AuthorizationRoute } from "./authorization-route.js";
import { CaptureAndVoid } from "./capture-and-void.js";
import { type CardInput, tokenize } from "./payment-methods.js";
import type {
  AuthorizeInput,
  Money,
  PaymentMethodRow,
  PaymentRecord,
  PaymentRow,
  ProcessorEvent,
  RefundInput,
  VoidReason,
} from "./payment-model.js";
import { PaymentReads } from "./payment-reads.js";
import type { PaymentRuntime } from "./payment-runtime.js";
import { createPaymentStatements } from "./payment-statements.js";
import { ProcessorWebhooks } from "./processor-webhooks.js";
import { type RefundAnswer, Refunds } from "./refunds.js";
import type { ResilientProcessor } from "./resilient-processor.js";
import { Settlement } from "./settlement.js";
import type { PaymentDatabase } from "./store.js";

/** The payment context's operations, shared by its REST handlers, its RPC service and its webhook receiver. */
export interface Payments {
  tokenize(input: CardInput): Promise<PaymentMethodRow>;
  authorize(input: AuthorizeInput): Promise<PaymentRow>;
  capture(paymentId: string, amount: Money | undefined): Promise<PaymentRow>;
  void(paymentId: string, reason: VoidReason): Promise<PaymentRow>;
  refund(input: RefundInput): Promise<RefundAnswer>;
  /** Apply a verified processor webhook once; `duplicate` when its id was applied before. */
  applyWebhook(event: ProcessorEvent): Promise<{ readonly duplicate: boolean }>;
  record(paymentId: string): Promise<PaymentRecord | undefined>;
  /** The processor's webhook signing secret, made on first use and kept in the store. */
  webhookSecret(): Promise<string>;
}

/** The payment operations of one running payment context. */
export function createPayments(
  context: ContextRuntime<PaymentDatabase>,
  /** The REST processor: captures, voids and refunds. */
  processor: ResilientProcessor,
  /** Where authorizations go: SOAP first, then REST (authorization-route.ts). */
  authorizations: AuthorizationRoute,
): Payments {
  const { db, clock, ids, outbox } = context;
  // One lock for every operation: a capture and a webhook of one payment take turns, as two captures do.
  const runtime: PaymentRuntime = {
    db,
    clock,
    ids,
    outbox,
    statements: createPaymentStatements(db),
    locks: new KeyedLock(),
  };
  const reads = new PaymentReads(runtime);
  const settlement = new Settlement(runtime);
  const authorization = new PaymentAuthorization({ runtime, reads, settlement, authorizations });
  const captureAndVoid = new CaptureAndVoid({ runtime, reads, settlement, processor });
  const refunds = new Refunds({ runtime, reads, settlement, processor });
  const webhooks = new ProcessorWebhooks({ runtime, reads, settlement });
  return {
    tokenize: (input) => tokenize(runtime, input),
    authorize: (input) => authorization.authorize(input),
    capture: (paymentId, amount) => captureAndVoid.capture(paymentId, amount),
    void: (paymentId, reason) => captureAndVoid.void(paymentId, reason),
    refund: (input) => refunds.refund(input),
    applyWebhook: (event) => webhooks.applyWebhook(event),
    record: (paymentId) => reads.record(paymentId),
    webhookSecret: () => webhooks.webhookSecret(),
  };
}
