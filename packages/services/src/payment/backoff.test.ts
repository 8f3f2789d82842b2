import { describe, expect, it } from "vitest";
import { backoffDelay, type RetryPolicy, retryWithBackoff } from "./backoff.js";

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 3_200 };

describe("backoffDelay", () => {
  const cases: [string, { given: number; head: number; want: number }][] = [
    ["after the first failure, no jitter drawn: half the base", { given: 1, head: 0, want: 100 }],
    ["after the first failure, the most jitter: just under the base", { given: 1, head: 0.999, want: 199 }],
    ["doubles after the second failure", { given: 2, head: 0, want: 200 }],
    ["doubles again after the third", { given: 3, head: 0.5, want: 600 }],
    ["after the fourth failure", { given: 4, head: 0, want: 800 }],
    ["is capped at the maximum", { given: 9, head: 0, want: 1_600 }],
    ["the cap holds with full jitter", { given: 30, head: 0.999, want: 3_198 }],
  ];
  it.each(cases)("%s", (_name, { given, head, want }) => {
    expect(backoffDelay(given, policy, () => head)).toBe(want);
  });
});

describe("retryWithBackoff", () => {
  /** An operation that fails `failures` times with `error`, then answers "ok". */
  const flaky = (failures: number, error: Error = new Error("down")) => {
    let calls = 0;
    return async () => {
      calls++;
      if (calls <= failures) throw error;
      return "ok";
    };
  };

  const cases: [
    string,
    { given: { failures: number; retryable: boolean }; want: { ok: boolean; attempts: number; sleeps: number[] } },
  ][] = [
    [
      "answers at once when the first attempt works",
      { given: { failures: 0, retryable: true }, want: { ok: true, attempts: 1, sleeps: [] } },
    ],
    [
      "retries until an attempt works, backing off each time",
      { given: { failures: 3, retryable: true }, want: { ok: true, attempts: 4, sleeps: [100, 200, 400] } },
    ],
    [
      "gives up after the fifth attempt with the last error",
      { given: { failures: 9, retryable: true }, want: { ok: false, attempts: 5, sleeps: [100, 200, 400, 800] } },
    ],
    [
      "stops at once on an error it must not retry",
      { given: { failures: 9, retryable: false }, want: { ok: false, attempts: 1, sleeps: [] } },
    ],
  ];
  it.each(cases)("%s", async (_name, { given, want }) => {
    const sleeps: number[] = [];
    const result = await retryWithBackoff(flaky(given.failures), {
      policy,
      random: () => 0,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
      },
      shouldRetry: () => given.retryable,
    });
    expect({ ok: result.ok, attempts: result.attempts, sleeps }).toEqual(want);
    if (!result.ok) expect(String(result.error)).toMatch(/down/);
  });

  it("draws its jitter from the random source it is given", async () => {
    const sleeps: number[] = [];
    const draws = [0.5, 0.25];
    await retryWithBackoff(flaky(2), {
      policy,
      random: () => draws.shift() ?? 0,
      sleep: async (milliseconds) => {
        sleeps.push(milliseconds);
      },
      shouldRetry: () => true,
    });
    expect(sleeps).toEqual([150, 250]);
  });
});
