import { Code, ConnectError } from "@connectrpc/connect";
import { isServiceError } from "@ecom/services/platform";

/**
 * The one rule both buses deliver by when a subscriber's handler fails (the embedded dispatcher and the JetStream
 * subscription each keep their own loop, and ask this): the event is tried again alone, and one that fails
 * {@link ATTEMPTS} times is dead-lettered (its `_dead_letter` row written, delivery goes on past it). A failure with
 * `unavailable` is not the event's (a context the handler calls is not reachable, is restarting, or is down by an
 * injected fault): it counts toward no dead letter, and the event is tried again after {@link UNAVAILABLE_PAUSES_MS}
 * until it goes through, the subscriber's later events waiting behind it (in order), so a saga does not stick on a
 * restart. How long to pause between other failures is the bus's own (JetStream waits for what passes by itself, a
 * lock timeout on PostgreSQL; on SQLite's one connection nothing does, and the embedded dispatcher tries at once).
 */

/** Attempts at an event whose handler fails, other than with `unavailable`, before it is dead-lettered. */
export const ATTEMPTS = 3;

/**
 * The pauses while a handler fails with `unavailable`: doubling from the first, then the last repeats until the call
 * goes through. A process restart takes tens of seconds (160 s seen under load). The cap stays well under
 * JetStream's ack wait (30 s), as the messages held are kept in progress at each pause.
 */
export const UNAVAILABLE_PAUSES_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 10_000];

/** A failure that is not the event's: the called context is not reachable, or no process serves it. */
export function isUnavailable(error: unknown): boolean {
  if (isServiceError(error)) return error.code === "unavailable";
  return error instanceof ConnectError && error.code === Code.Unavailable;
}

/** Where the attempts at one failing event stand, by {@link ATTEMPTS} and the `unavailable` rule. */
export class EventRetries {
  /** Failures that count toward the dead letter. */
  #failures = 0;
  /** `unavailable` failures since the last other one. */
  #unavailable = 0;
  #lastError: unknown;

  /**
   * `pausesMs`: the bus's pauses before the second, third, … attempt after other failures (the last repeats);
   * `unavailablePausesMs`: the pauses while it fails with `unavailable` (tests shorten them).
   */
  constructor(
    private readonly pausesMs: readonly number[] = [],
    private readonly unavailablePausesMs: readonly number[] = UNAVAILABLE_PAUSES_MS,
  ) {}

  /** Count a failed attempt: true when the event is to be tried again, false when it is to be dead-lettered. */
  failed(error: unknown): boolean {
    this.#lastError = error;
    if (isUnavailable(error)) {
      this.#unavailable++;
    } else {
      this.#unavailable = 0;
      this.#failures++;
    }
    return this.#failures < ATTEMPTS;
  }

  /** True right after the first `unavailable` failure of a run of them (say so once, not at every retry). */
  get beganWaiting(): boolean {
    return this.#unavailable === 1;
  }

  /** The error the last attempt failed with (what a dead letter records). */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Milliseconds to wait before the next attempt: none before the first. */
  nextPauseMs(): number {
    if (this.#unavailable > 0) return nth(this.unavailablePausesMs, this.#unavailable);
    return this.#failures > 0 ? nth(this.pausesMs, this.#failures) : 0;
  }
}

/** The `n`th of `pauses` (1, 2, …), the last repeating; 0 when there are none. */
function nth(pauses: readonly number[], n: number): number {
  return pauses[n - 1] ?? pauses.at(-1) ?? 0;
}
