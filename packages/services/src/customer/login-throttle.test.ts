import { describe, expect, it } from "vitest";
import { afterFailedLogin, CLEAR_THROTTLE, LOCK_MS, lockedForSeconds, type ThrottleState } from "./login-throttle.js";

const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));

function failAt(minutes: readonly number[]): ThrottleState {
  return minutes.reduce((state, minute) => afterFailedLogin(state, at(minute)), CLEAR_THROTTLE);
}

describe("the login throttle", () => {
  it.each([
    ["four failures in a window", { given: [0, 1, 2, 3], checkAt: 4, want: 0 }],
    ["five failures in a window lock for 15 minutes", { given: [0, 1, 2, 3, 4], checkAt: 4, want: 15 * 60 }],
    ["the lock lapses after 15 minutes", { given: [0, 1, 2, 3, 4], checkAt: 19, want: 0 }],
    ["failures spread past the window never lock", { given: [0, 5, 10, 16, 20], checkAt: 20, want: 0 }],
    ["a new window starts after the old one ends", { given: [0, 16, 17, 18, 19, 20], checkAt: 20, want: 15 * 60 }],
  ])("%s", (_name, { given, checkAt, want }) => {
    expect(lockedForSeconds(failAt(given), at(checkAt))).toBe(want);
  });

  it("starts counting afresh after a lock lapses", () => {
    const locked = failAt([0, 1, 2, 3, 4]);
    const after = afterFailedLogin(locked, new Date(at(4).getTime() + LOCK_MS));
    expect(after).toMatchObject({ failedAttempts: 1, lockedUntil: null });
  });

  it("is not locked with a clear state", () => {
    expect(lockedForSeconds(CLEAR_THROTTLE, at(0))).toBe(0);
  });
});
