import type { ProcessorPath } from "./authorization-route.js";
import type { FailureCode } from "./payment-model.js";
import type { PaymentProcessor, ProcessorAnswer, ProcessorCard } from "./processor.js";
import type { ProcessorOutcome, ResilientProcessor } from "./resilient-processor.js";

/** What the processor decided for one operation, from its synchronous answer or its webhook. */
export type Decision =
  | {
      readonly outcome: "succeeded";
      readonly processorReference?: string | undefined;
      readonly attempts?: number;
      /** The processor's interface that answered, for an authorization. */
      readonly path?: ProcessorPath;
    }
  | {
      readonly outcome: "failed";
      readonly code: FailureCode;
      readonly message?: string | undefined;
      readonly processorReference?: string | undefined;
      readonly attempts?: number;
    }
  | { readonly outcome: "pending"; readonly processorReference: string; readonly attempts: number };

/** The decision of the processor's answer (after retries), or of giving up on it. */
export function decisionOf(outcome: ProcessorOutcome & { readonly path?: ProcessorPath }): Decision {
  if (!outcome.ok)
    return { outcome: "failed", code: outcome.code, message: outcome.message, attempts: outcome.attempts };
  const answer: ProcessorAnswer = outcome.answer;
  if (answer.status === "succeeded") {
    return {
      outcome: "succeeded",
      processorReference: answer.processorReference,
      attempts: outcome.attempts,
      ...(outcome.path === undefined ? {} : { path: outcome.path }),
    };
  }
  if (answer.status === "declined") {
    return {
      outcome: "failed",
      code: answer.code,
      processorReference: answer.processorReference,
      attempts: outcome.attempts,
    };
  }
  return { outcome: "pending", processorReference: answer.processorReference, attempts: outcome.attempts };
}

/** Ask `processor` one operation with `card` (retried per its policy), and read the answer as a decision. */
export async function askProcessor(
  processor: ResilientProcessor,
  card: ProcessorCard,
  operation: (target: PaymentProcessor, card: ProcessorCard) => Promise<ProcessorAnswer>,
): Promise<Decision> {
  return decisionOf(await processor.call((target) => operation(target, card)));
}

/** A charge or refund's status for a decision. */
export function statusOf(decision: Decision): "SUCCEEDED" | "FAILED" | "PENDING" {
  return decision.outcome === "succeeded" ? "SUCCEEDED" : decision.outcome === "failed" ? "FAILED" : "PENDING";
}

const ISSUER_DECLINES = new Set<FailureCode>([
  "card_declined",
  "insufficient_funds",
  "expired_card",
  "authorization_expired",
]);

/**
 * Whether the card's issuer refused (the payment fails), rather than the processor failing to answer (the operation
 * may be asked again).
 */
export function isIssuerDecline(code: FailureCode): boolean {
  return ISSUER_DECLINES.has(code);
}
