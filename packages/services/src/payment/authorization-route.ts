import type { ProcessorRequest } from "./processor.js";
import type { ProcessorOutcome, ResilientProcessor } from "./resilient-processor.js";
import type { SoapPaymentProcessor } from "./soap-processor.js";

/** Which of the processor's interfaces answered an authorization: its legacy SOAP one or its REST one. */
export type ProcessorPath = "soap" | "rest";

/** An authorization's outcome and the interface it came from. */
export type RoutedOutcome = ProcessorOutcome & { readonly path: ProcessorPath };

/** Where authorizations go: SOAP first, REST when SOAP does not answer. */
export interface AuthorizationRoute {
  /** False only while both interfaces' breakers refuse calls. */
  readonly allowsCalls: boolean;
  /** Seconds until either breaker lets a trial through (for Retry-After). */
  readonly retryAfterSeconds: number;
  authorize(request: ProcessorRequest & { readonly orderId: string }): Promise<RoutedOutcome>;
}

/**
 * Payment's rule for authorizations (seed 004: "Simulated SOAP legacy + REST fallback"): ask the SOAP interface,
 * with its own retries and breaker; when it does not answer (its retries run out on outages, or its breaker is
 * open), ask the REST interface, with its own. Only an outage falls back: a decline or the processor's own error
 * is the processor's answer, which REST would only repeat. Both carry our charge id as the processor's idempotency
 * key, so a SOAP call that was made but not answered is not charged twice by the REST one. Without a SOAP
 * interface, everything goes to REST.
 */
export function createAuthorizationRoute(options: {
  readonly soap?: ResilientProcessor<SoapPaymentProcessor> | undefined;
  readonly rest: ResilientProcessor;
}): AuthorizationRoute {
  const { soap, rest } = options;
  return {
    get allowsCalls() {
      return rest.allowsCalls || (soap?.allowsCalls ?? false);
    },
    get retryAfterSeconds() {
      return Math.min(rest.retryAfterSeconds, soap?.retryAfterSeconds ?? Number.POSITIVE_INFINITY);
    },
    async authorize(request) {
      let soapAttempts = 0;
      if (soap?.allowsCalls) {
        const outcome = await soap.call((processor) => processor.authorize(request));
        if (outcome.ok || outcome.code !== "processor_unavailable") return { ...outcome, path: "soap" };
        soapAttempts = outcome.attempts;
      }
      const outcome = await rest.call((processor) => processor.authorize(request));
      return { ...outcome, attempts: outcome.attempts + soapAttempts, path: "rest" };
    },
  };
}
