/**
 * Retries with exponential backoff and jitter (seed 004: the payment processor gets 5 attempts). The wait doubles
 * with each failed attempt up to a ceiling; half of it is fixed and half drawn from `random`, so retries of many
 * payments that failed together spread out instead of hammering the processor in step ("equal jitter"). Waiting is
 * a dependency: the simulator passes a tiny real sleep, tests pass none.
 */

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The wait after the first failure, before jitter. */
  readonly baseDelayMs: number;
  /** No wait is longer than this, before jitter. */
  readonly maxDelayMs: number;
}

/** Seed 004's policy for the payment processor. */
export const PROCESSOR_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 3_200 };

/** Waits `milliseconds`; injected so that backoff never makes a test slow. */
export type Sleep = (milliseconds: number) => Promise<void>;

/**
 * The wait after attempt `failedAttempt` (1-based) failed: `min(max, base · 2^(n−1))`, of which the upper half is
 * scaled by `random()` in [0, 1). Always a whole number of milliseconds.
 */
export function backoffDelay(failedAttempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  const half = ceiling / 2;
  return Math.floor(half + random() * half);
}

/** How a retried operation ended: its value, or the last error; with the number of attempts made either way. */
export type Attempted<TValue> =
  | { readonly ok: true; readonly value: TValue; readonly attempts: number }
  | { readonly ok: false; readonly error: unknown; readonly attempts: number };

/**
 * Run `operation` until it succeeds, fails with an error `shouldRetry` refuses, or `policy.maxAttempts` is used
 * up, sleeping {@link backoffDelay} between attempts. Errors come back as values, with the attempt count.
 */
export async function retryWithBackoff<TValue>(
  operation: (attempt: number) => Promise<TValue>,
  options: {
    readonly policy: RetryPolicy;
    readonly random: () => number;
    readonly sleep: Sleep;
    readonly shouldRetry: (error: unknown) => boolean;
  },
): Promise<Attempted<TValue>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ok: true, value: await operation(attempt), attempts: attempt };
    } catch (error) {
      if (attempt >= options.policy.maxAttempts || !options.shouldRetry(error)) {
        return { ok: false, error, attempts: attempt };
      }
      await options.sleep(backoffDelay(attempt, options.policy, options.random));
    }
  }
}
