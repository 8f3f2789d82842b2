import { type ContextRuntime, defineContext } from "../platform/index.js";
import { createAuthorizationRoute } from "./authorization-route.js";
import { PROCESSOR_RETRY_POLICY, type RetryPolicy, type Sleep } from "./backoff.js";
import { CircuitBreaker, PROCESSOR_BREAKER } from "./circuit-breaker.js";
import { migrations } from "./migrations.js";
import { createPayments } from "./payments.js";
import { createSimulatedProcessor, type PaymentProcessor } from "./processor.js";
import { createResilientProcessor } from "./resilient-processor.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerPaymentService } from "./rpc-service.js";
import { createSimulatedSoapEndpoint, SOAP_ENDPOINT_PATH } from "./simulated-soap-endpoint.js";
import { createSoapProcessor, type SoapPaymentProcessor } from "./soap-processor.js";
import type { PaymentDatabase } from "./store.js";

export type { ProcessorPath } from "./authorization-route.js";
export { PROCESSOR_RETRY_POLICY, type RetryPolicy, type Sleep } from "./backoff.js";
export { PROCESSOR_BREAKER } from "./circuit-breaker.js";
export {
  type AuthorizationRefusal,
  createSimulatedProcessor,
  type PaymentProcessor,
  type ProcessorAnswer,
  ProcessorError,
} from "./processor.js";
export { createSimulatedSoapEndpoint, SOAP_ENDPOINT_PATH } from "./simulated-soap-endpoint.js";
export {
  createSoapProcessor,
  type SoapExchange,
  type SoapPaymentProcessor,
  type SoapProcessorOptions,
  type SoapReply,
} from "./soap-processor.js";
export type { PaymentDatabase } from "./store.js";

/**
 * The simulator's backoff sleep: a hundredth of the policy's wait (at most a few milliseconds), on the platform's
 * {@link ContextRuntime.sleep}, so retries keep their order and spacing without making anyone wait for them, and
 * stop when the platform closes.
 */
export function simulatorSleep(runtime: Pick<ContextRuntime<unknown>, "sleep">): Sleep {
  return (milliseconds) => runtime.sleep(Math.ceil(milliseconds / 100));
}

/** What can be changed about the payment context, mostly for tests. */
export interface PaymentContextOptions {
  /** The processor's REST interface; the simulated processor by default. */
  readonly processor?: (runtime: ContextRuntime<PaymentDatabase>) => PaymentProcessor;
  /**
   * The processor's SOAP interface, asked first for authorizations; by default the simulated one in front of the same
   * processor as REST (served at `/_sim/processor/soap`), reached by the `soap` client in process. `false`: REST only.
   */
  readonly soap?: ((runtime: ContextRuntime<PaymentDatabase>) => SoapPaymentProcessor) | false;
  /** How backoff waits (default {@link simulatorSleep} of the context's runtime). */
  readonly sleep?: Sleep;
  readonly retry?: RetryPolicy;
  /** When the breaker opens and how long it stays open (virtual clock). */
  readonly breaker?: { readonly failureThreshold: number; readonly coolDownMs: number };
}

/**
 * Build a payment context: payment methods (card tokenization), payment intents with authorize, capture, void and
 * refund against the processor (retries with backoff and jitter behind a circuit breaker), and the processor's
 * webhooks in. PaymentService per its proto, REST per contracts/openapi/payment.yaml, events per
 * contracts/asyncapi/payment.yaml.
 */
export function createPaymentContext(options: PaymentContextOptions = {}) {
  return defineContext<PaymentDatabase>({
    name: "payment",
    migrations,
    create(runtime) {
      const processor =
        options.processor?.(runtime) ??
        createSimulatedProcessor({
          faults: runtime.faults,
          clock: runtime.clock,
          random: runtime.random,
          sleep: runtime.sleep,
        });
      const newBreaker = () =>
        new CircuitBreaker({ ...(options.breaker ?? PROCESSOR_BREAKER), now: () => runtime.clock.now() });
      const resilience = {
        policy: options.retry ?? PROCESSOR_RETRY_POLICY,
        random: runtime.random,
        sleep: options.sleep ?? simulatorSleep(runtime),
      };
      const breaker = newBreaker();
      const rest = createResilientProcessor({ processor, breaker, ...resilience });
      // The simulated processor's SOAP interface: served by the simulator, and called in process by the real client.
      const soapEndpoint = createSimulatedSoapEndpoint({ processor, faults: runtime.faults });
      const soapProcessor =
        options.soap === false
          ? undefined
          : (options.soap?.(runtime) ??
            createSoapProcessor({
              wsdlUrl: `http://payment-processor.sim/_sim/${SOAP_ENDPOINT_PATH}?wsdl`,
              transport: soapEndpoint,
            }));
      const soapBreaker = soapProcessor ? newBreaker() : undefined;
      const soap =
        soapProcessor && soapBreaker
          ? createResilientProcessor({ processor: soapProcessor, breaker: soapBreaker, ...resilience })
          : undefined;
      const payments = createPayments(runtime, rest, createAuthorizationRoute({ soap, rest }));
      const status = (name: string, of: CircuitBreaker) => ({
        name,
        state: of.state,
        consecutiveFailures: of.consecutiveFailures,
        failureThreshold: of.failureThreshold,
        coolDownMs: of.coolDownMs,
        retryAfterMs: of.retryAfterMs,
      });
      return {
        rest: createRestHandlers(runtime, payments),
        rpc: (router) => registerPaymentService(router, payments),
        breakers: () => [
          status("payment processor", breaker),
          ...(soapBreaker ? [status("payment processor (SOAP)", soapBreaker)] : []),
        ],
        endpoints: { [SOAP_ENDPOINT_PATH]: soapEndpoint },
        start: async () => {
          // The secret lives in the payment store; the processor signs its webhooks with it.
          processor.useWebhookSecret?.(await payments.webhookSecret());
        },
      };
    },
  });
}

/** The payment context as the platform runs it, against the simulated processor. */
export const paymentContext = createPaymentContext();
