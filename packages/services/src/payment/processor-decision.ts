import type { ProcessorPath } from "./authorization-route.js";
import type { FailureCode } from "./payment-model.js";
import type {
  AuthorizationRefusal,
  DeclineCode,
  PaymentProcessor,
  ProcessorAnswer,
  ProcessorCard,
} from "./processor.js";
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
      /** The processor refused because the authorization had moved on; `processorReference` is what moved it. */
      readonly refusal?: AuthorizationRefusal;
      /** For an `authorization_captured` refusal: the amount (minor units) that capture took, when the processor says. */
      readonly capturedAmount?: number;
    }
  | { readonly outcome: "pending"; readonly processorReference: string; readonly attempts: number };

/**
 * How a refusal over an authorization that moved on is recorded, in the contracts' closed set of failure codes.
 * A capture of a voided authorization finds no hold left, as one after the hold lapsed does (the payment fails at
 * capture, nothing taken). A void of a captured one is the processor answering with an error: the operation
 * (CaptureAndVoid) reads `refusal` and records the capture it learns of.
 */
const REFUSAL_CODES: Readonly<Record<AuthorizationRefusal, { code: FailureCode; message: string }>> = {
  authorization_voided: {
    code: "authorization_expired",
    message: "The authorization was voided before the capture; nothing was captured.",
  },
  authorization_captured: {
    code: "processor_error",
    message: "The processor refused: the authorization was captured already.",
  },
};

const isRefusal = (code: DeclineCode | AuthorizationRefusal): code is AuthorizationRefusal =>
  Object.hasOwn(REFUSAL_CODES, code);

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
    if (isRefusal(answer.code)) {
      return {
        outcome: "failed",
        ...REFUSAL_CODES[answer.code],
        refusal: answer.code,
        processorReference: answer.processorReference,
        ...(answer.captured ? { capturedAmount: answer.captured.amount } : {}),
        attempts: outcome.attempts,
      };
    }
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
