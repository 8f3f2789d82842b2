import { Code, ConnectError } from "@connectrpc/connect";
import type { ContextRuntime } from "../platform/index.js";
import type { CheckoutStepName } from "./checkout-saga-rules.js";
import { correlationOf, type OrderDatabase } from "./store.js";

/** How the saga retries a dependency that does not answer. */
export interface SagaRetryOptions {
  /** Tries per call, the first included. */
  readonly attempts: number;
  /**
   * The wait before the first retry, in milliseconds of the platform's clock (`runtime.sleep`: at most that much real
   * time, less when the clock is advanced past it); each later wait is four times longer, with jitter.
   */
  readonly baseDelayMs: number;
}

/** A call's result: its answer, or the Connect error it ended with after the retries. */
export type CallResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ConnectError };

/** The saga a call is made for. */
export interface CallingCheckout {
  readonly checkout_id: string;
  readonly correlation_id: string;
}

/**
 * Call a dependency for the saga of `checkout`, retrying while it is unavailable (each retry counted as an attempt
 * of `step`, when given, through the {@link RecordRetry} the call was made with). Resolves to the answer or the final
 * Connect error; anything else thrown (the store closing) propagates.
 */
export type SagaCall = <T>(
  checkout: CallingCheckout,
  step: CheckoutStepName | undefined,
  dependency: string,
  call: (options: SagaCallOptions) => Promise<T>,
) => Promise<CallResult<T>>;

/** What every call of one saga carries: its correlation id, so the RPC trace files the call under the checkout. */
export interface SagaCallOptions {
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Record that `step` is tried again after `detail` (one more attempt). The saga's runner gives it: the count is part of
 * the saga's row, so it goes through the same versioned write as every other change of the saga.
 */
export type RecordRetry = (step: CheckoutStepName, detail: string) => Promise<void>;

/** The codes after which a call is tried again. */
export const TRANSIENT: ReadonlySet<Code> = new Set([Code.Unavailable, Code.DeadlineExceeded]);

function isConnectError(error: unknown): error is ConnectError {
  return error instanceof ConnectError || (error instanceof Error && error.name === "ConnectError");
}

/** The saga's {@link SagaCall}; retries of a step are recorded through `recordRetry`, when given. */
export function createSagaCall(
  runtime: ContextRuntime<OrderDatabase>,
  retry: SagaRetryOptions,
  recordRetry?: RecordRetry,
): SagaCall {
  return async (checkout, step, dependency, call) => {
    const options = { headers: { "correlation-id": correlationOf(checkout) } };
    for (let attempt = 1; ; attempt++) {
      try {
        return { ok: true, value: await call(options) };
      } catch (error) {
        if (!isConnectError(error)) throw error;
        const connectError = ConnectError.from(error);
        if (!TRANSIENT.has(connectError.code) || attempt >= retry.attempts) return { ok: false, error: connectError };
        if (step && recordRetry) {
          await recordRetry(step, `${dependency} did not answer (${connectError.rawMessage}); retrying with backoff.`);
        }
        const jitter = 0.5 + runtime.random() / 2;
        // Rejects when the platform closes: the run stops there and the next start resumes it.
        await runtime.sleep(retry.baseDelayMs * 4 ** (attempt - 1) * jitter);
      }
    }
  };
}
