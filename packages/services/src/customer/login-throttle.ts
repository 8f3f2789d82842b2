/**
 * The login throttle of the customer contract: after 5 failed logins within 15 minutes the account is locked for
 * 15 minutes (answered with 429). A success clears the count. Pure: the caller stores the state.
 */

/** Failures allowed within one window before the account locks. */
export const MAX_FAILED_LOGINS = 5;
/** How long a run of failures counts, from its first failure. */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** How long a lock lasts. */
export const LOCK_MS = 15 * 60_000;

/** The throttle state kept with a credential (ISO timestamps, null when unset). */
export interface ThrottleState {
  readonly failedAttempts: number;
  readonly failureWindowStartedAt: string | null;
  readonly lockedUntil: string | null;
}

/** The state of an account with no recent failures. */
export const CLEAR_THROTTLE: ThrottleState = { failedAttempts: 0, failureWindowStartedAt: null, lockedUntil: null };

/** Whole seconds the account stays locked at `now`; 0 when it is not locked. */
export function lockedForSeconds(state: ThrottleState, now: Date): number {
  if (state.lockedUntil === null) return 0;
  const remaining = Date.parse(state.lockedUntil) - now.getTime();
  return remaining > 0 ? Math.ceil(remaining / 1000) : 0;
}

/** The state after a failed login at `now`: counts it in the current window, or starts a new one, and locks at the limit. */
export function afterFailedLogin(state: ThrottleState, now: Date): ThrottleState {
  // A lock that has lapsed ends its run of failures too: the next failure starts a new window.
  const lockLapsed = state.lockedUntil !== null && lockedForSeconds(state, now) === 0;
  const inWindow =
    !lockLapsed &&
    state.failureWindowStartedAt !== null &&
    now.getTime() - Date.parse(state.failureWindowStartedAt) < FAILURE_WINDOW_MS;
  const failedAttempts = inWindow ? state.failedAttempts + 1 : 1;
  const failureWindowStartedAt = inWindow ? state.failureWindowStartedAt : now.toISOString();
  return {
    failedAttempts,
    failureWindowStartedAt,
    lockedUntil: failedAttempts >= MAX_FAILED_LOGINS ? new Date(now.getTime() + LOCK_MS).toISOString() : null,
  };
}
