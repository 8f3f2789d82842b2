/**
 * A circuit breaker around the payment processor. Closed, calls go through and consecutive failures are counted;
 * at `failureThreshold` it opens, and for `coolDownMs` every call fails fast without reaching the processor. Then
 * it is half-open: one trial call goes through (others still fail fast); its success closes the breaker, its
 * failure opens it for another cool-down. Time is the platform's clock, so a test moves through a cool-down by
 * advancing the virtual clock instead of sleeping.
 */

/** Where the breaker stands. */
export type BreakerState = "closed" | "open" | "half-open";

/** When to open and how long to stay open. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before letting a trial call through. */
  readonly coolDownMs: number;
  readonly now: () => Date;
}

/** The payment processor's defaults: open after 5 failures in a row, try again after 30 seconds. */
export const PROCESSOR_BREAKER = { failureThreshold: 5, coolDownMs: 30_000 } as const;

/** Thrown instead of calling through while the breaker is open. */
export class CircuitOpenError extends Error {
  override name = "CircuitOpenError";
  constructor(readonly retryAfterMs: number) {
    super(`the circuit breaker is open; calls are refused for another ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** True for a {@link CircuitOpenError} (checks `name`, so it works across copies of this module). */
export function isCircuitOpenError(error: unknown): error is CircuitOpenError {
  return error instanceof Error && error.name === "CircuitOpenError";
}

/** A circuit breaker; see the module comment for its states. */
export class CircuitBreaker {
  #failures = 0;
  #openedAt: number | undefined;
  #trialInFlight = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  /** The state now (an open breaker whose cool-down has passed reads half-open). */
  get state(): BreakerState {
    if (this.#openedAt === undefined) return "closed";
    return this.options.now().getTime() - this.#openedAt >= this.options.coolDownMs ? "half-open" : "open";
  }

  /** Milliseconds until an open breaker lets a trial through; 0 unless open. */
  get retryAfterMs(): number {
    if (this.#openedAt === undefined) return 0;
    return Math.max(0, this.#openedAt + this.options.coolDownMs - this.options.now().getTime());
  }

  /** Failures in a row so far (reset by a success). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** The options it runs with. */
  get failureThreshold(): number {
    return this.options.failureThreshold;
  }

  /** How long it stays open. */
  get coolDownMs(): number {
    return this.options.coolDownMs;
  }

  /** Whether a call made now would go through (without making one). */
  get allowsCalls(): boolean {
    const state = this.state;
    return state === "closed" || (state === "half-open" && !this.#trialInFlight);
  }

  /**
   * Make a call through the breaker. `isFailure` says which errors count against the processor's health (an
   * outage does; a card decline is an answer, not a failure). Throws {@link CircuitOpenError} without calling
   * while open, or while another call is the half-open trial.
   */
  async call<TValue>(operation: () => Promise<TValue>, isFailure: (error: unknown) => boolean): Promise<TValue> {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.#trialInFlight)) {
      throw new CircuitOpenError(this.retryAfterMs);
    }
    const trial = state === "half-open";
    if (trial) this.#trialInFlight = true;
    try {
      const value = await operation();
      this.#recordSuccess();
      return value;
    } catch (error) {
      if (isFailure(error)) this.#recordFailure(trial);
      else this.#recordSuccess();
      throw error;
    } finally {
      if (trial) this.#trialInFlight = false;
    }
  }

  #recordSuccess(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
  }

  #recordFailure(trial: boolean): void {
    this.#failures++;
    if (trial || this.#failures >= this.options.failureThreshold) this.#openedAt = this.options.now().getTime();
  }
}
