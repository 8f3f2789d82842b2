import { describe, expect, it } from "vitest";
import { type BreakerState, CircuitBreaker, isCircuitOpenError } from "./circuit-breaker.js";

/** One step of a scenario: a call that succeeds, fails (counted), is declined (not counted), or time passing. */
type Step = "ok" | "fail" | "decline" | { readonly wait: number };

/** What each call step came to: the operation ran and answered, ran and threw, or was refused without running. */
type CallResult = "answered" | "threw" | "refused";

async function run(steps: readonly Step[]) {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 30_000, now: () => new Date(now) });
  const calls: CallResult[] = [];
  for (const step of steps) {
    if (typeof step === "object") {
      now += step.wait;
      continue;
    }
    try {
      await breaker.call(
        async () => {
          if (step === "fail") throw new Error("unavailable");
          if (step === "decline") throw new Error("declined");
          return "answer";
        },
        (error) => String(error).includes("unavailable"),
      );
      calls.push("answered");
    } catch (error) {
      calls.push(isCircuitOpenError(error) ? "refused" : "threw");
    }
  }
  return { calls, state: breaker.state, retryAfterMs: breaker.retryAfterMs };
}

describe("CircuitBreaker", () => {
  const cases: [string, { given: Step[]; want: { calls: CallResult[]; state: BreakerState } }][] = [
    [
      "stays closed while calls succeed",
      { given: ["ok", "ok"], want: { calls: ["answered", "answered"], state: "closed" } },
    ],
    [
      "stays closed below the threshold",
      { given: ["fail", "fail"], want: { calls: ["threw", "threw"], state: "closed" } },
    ],
    [
      "opens at the threshold of consecutive failures",
      { given: ["fail", "fail", "fail"], want: { calls: ["threw", "threw", "threw"], state: "open" } },
    ],
    [
      "counts only consecutive failures: a success in between starts again",
      {
        given: ["fail", "fail", "ok", "fail", "fail"],
        want: { calls: ["threw", "threw", "answered", "threw", "threw"], state: "closed" },
      },
    ],
    [
      "does not count answers that are errors of the card, not the processor",
      {
        given: ["fail", "fail", "decline", "fail"],
        want: { calls: ["threw", "threw", "threw", "threw"], state: "closed" },
      },
    ],
    [
      "refuses calls fast while open, without running them",
      {
        given: ["fail", "fail", "fail", "ok", { wait: 29_999 }, "ok"],
        want: { calls: ["threw", "threw", "threw", "refused", "refused"], state: "open" },
      },
    ],
    [
      "is half-open after the cool-down",
      {
        given: ["fail", "fail", "fail", { wait: 30_000 }],
        want: { calls: ["threw", "threw", "threw"], state: "half-open" },
      },
    ],
    [
      "closes when the half-open trial succeeds",
      {
        given: ["fail", "fail", "fail", { wait: 30_000 }, "ok", "ok"],
        want: { calls: ["threw", "threw", "threw", "answered", "answered"], state: "closed" },
      },
    ],
    [
      "opens again for a whole cool-down when the trial fails",
      {
        given: ["fail", "fail", "fail", { wait: 30_000 }, "fail", { wait: 29_000 }, "ok"],
        want: { calls: ["threw", "threw", "threw", "threw", "refused"], state: "open" },
      },
    ],
  ];
  it.each(cases)("%s", async (_name, { given, want }) => {
    const result = await run(given);
    expect({ calls: result.calls, state: result.state }).toEqual(want);
  });

  it("says how long until it lets a trial through", async () => {
    expect((await run(["fail", "fail", "fail", { wait: 10_000 }])).retryAfterMs).toBe(20_000);
    expect((await run(["ok"])).retryAfterMs).toBe(0);
  });

  it("lets only one trial through while half-open", async () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 1_000, now: () => new Date(now) });
    await breaker
      .call(
        () => Promise.reject(new Error("down")),
        () => true,
      )
      .catch(() => undefined);
    now = 1_000;
    let finishTrial: (value: string) => void = () => {};
    const trial = breaker.call(
      () => new Promise<string>((resolve) => (finishTrial = resolve)),
      () => true,
    );
    expect(breaker.allowsCalls).toBe(false);
    const second = await breaker
      .call(
        async () => "second",
        () => true,
      )
      .catch((error: unknown) => error);
    expect(isCircuitOpenError(second)).toBe(true);
    finishTrial("trial");
    expect(await trial).toBe("trial");
    expect(breaker.state).toBe("closed");
  });
});
