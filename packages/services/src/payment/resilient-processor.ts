import { type RetryPolicy, retryWithBackoff, type Sleep } from "./backoff.js";
import { type CircuitBreaker, isCircuitOpenError } from "./circuit-breaker.js";
import { isProcessorError, type PaymentProcessor, type ProcessorAnswer } from "./processor.js";

/**
 * How a call to the processor ended after retries: its answer, or the failure that outlasted them. `attempts`
 * counts calls that reached the processor (a call the open breaker refused never did), at least 1 because the
 * contracts report it that way.
 */
export type ProcessorOutcome =
  | { readonly ok: true; readonly answer: ProcessorAnswer; readonly attempts: number }
  | {
      readonly ok: false;
      readonly code: "processor_error" | "processor_unavailable";
      readonly message: string;
      readonly attempts: number;
    };

/**
 * A processor behind retries (exponential backoff with jitter) and a circuit breaker. `TTarget` is what it calls:
 * the REST processor's four operations, or the SOAP processor's one.
 */
export interface ResilientProcessor<TTarget = PaymentProcessor> {
  /** False while the breaker refuses calls: callers answer "unavailable" before recording anything. */
  readonly allowsCalls: boolean;
  /** Seconds until the breaker lets a trial through (for Retry-After). */
  readonly retryAfterSeconds: number;
  /** Make one processor operation, retried per the policy; failures come back as values. */
  call(operation: (processor: TTarget) => Promise<ProcessorAnswer>): Promise<ProcessorOutcome>;
}

/**
 * Wrap `processor`: each attempt goes through `breaker` (only the processor not answering counts against it; an
 * error it answers with, like the processor-error test card, is retried but says nothing about its health), and
 * attempts are retried with backoff until one answers, the breaker opens, or the policy's attempts are used up.
 */
export function createResilientProcessor<TTarget = PaymentProcessor>(options: {
  readonly processor: TTarget;
  readonly breaker: CircuitBreaker;
  readonly policy: RetryPolicy;
  readonly random: () => number;
  readonly sleep: Sleep;
}): ResilientProcessor<TTarget> {
  const { processor, breaker } = options;
  const unavailable = (error: unknown) => isProcessorError(error) && error.code === "processor_unavailable";
  return {
    get allowsCalls() {
      return breaker.allowsCalls;
    },
    get retryAfterSeconds() {
      return Math.max(1, Math.ceil(breaker.retryAfterMs / 1000));
    },
    async call(operation) {
      let calls = 0;
      const result = await retryWithBackoff(
        () =>
          breaker.call(() => {
            calls++;
            return operation(processor);
          }, unavailable),
        {
          policy: options.policy,
          random: options.random,
          sleep: options.sleep,
          // Once the breaker is open, more attempts would only be refused.
          shouldRetry: (error) => isProcessorError(error),
        },
      );
      const attempts = Math.max(1, calls);
      if (result.ok) return { ok: true, answer: result.value, attempts };
      if (isCircuitOpenError(result.error)) {
        return {
          ok: false,
          code: "processor_unavailable",
          message: `The payment processor is unavailable (circuit open after ${attempts} attempt${attempts === 1 ? "" : "s"}).`,
          attempts,
        };
      }
      if (isProcessorError(result.error)) {
        return {
          ok: false,
          code: result.error.code,
          message:
            result.error.code === "processor_unavailable"
              ? `The payment processor did not answer after ${attempts} attempts.`
              : `The payment processor failed after ${attempts} attempts.`,
          attempts,
        };
      }
      throw result.error;
    },
  };
}
