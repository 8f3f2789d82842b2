import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./circuit-breaker.js";
import { type PaymentProcessor, type ProcessorAnswer, ProcessorError } from "./processor.js";
import { createResilientProcessor, type ProcessorOutcome } from "./resilient-processor.js";

type Reply = "ok" | "down" | "error" | "decline";

/** A resilient processor over a script of replies, one per call; a breaker that opens after 3 failures. */
function scripted(replies: Reply[], options: { threshold?: number } = {}) {
  let now = 0;
  const breaker = new CircuitBreaker({
    failureThreshold: options.threshold ?? 3,
    coolDownMs: 1_000,
    now: () => new Date(now),
  });
  let calls = 0;
  const answer = async (): Promise<ProcessorAnswer> => {
    const reply = replies[calls++] ?? "ok";
    if (reply === "down") throw new ProcessorError("processor_unavailable", "no answer");
    if (reply === "error") throw new ProcessorError("processor_error", "boom");
    if (reply === "decline") return { status: "declined", code: "card_declined", processorReference: "ch_sim_2" };
    return { status: "succeeded", processorReference: "ch_sim_1" };
  };
  const processor: PaymentProcessor = { authorize: answer, capture: answer, void: answer, refund: answer };
  const sleeps: number[] = [];
  const resilient = createResilientProcessor({
    processor,
    breaker,
    policy: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
    random: () => 0,
    sleep: async (milliseconds) => {
      sleeps.push(milliseconds);
    },
  });
  const call = () =>
    resilient.call((target) =>
      target.authorize({
        reference: "chg_1",
        paymentId: "pay_1",
        amount: { amount: 1, currency: "USD" },
        card: { brand: "visa", last4: "4242", expMonth: 1, expYear: 2030, outcome: "approve" },
      }),
    );
  return {
    resilient,
    breaker,
    call,
    sleeps,
    calls: () => calls,
    advance: (milliseconds: number) => (now += milliseconds),
  };
}

describe("createResilientProcessor", () => {
  const cases: [string, { given: Reply[]; threshold?: number; want: Partial<ProcessorOutcome> & { calls: number } }][] =
    [
      ["answers at once", { given: ["ok"], want: { ok: true, attempts: 1, calls: 1 } }],
      [
        "passes a decline through as an answer, without retrying",
        { given: ["decline"], want: { ok: true, attempts: 1, calls: 1 } },
      ],
      [
        "retries an outage until the processor answers",
        { given: ["down", "down", "ok"], want: { ok: true, attempts: 3, calls: 3 } },
      ],
      [
        "retries the processor's own errors five times, then reports them",
        {
          given: ["error", "error", "error", "error", "error"],
          want: { ok: false, code: "processor_error", attempts: 5, calls: 5 },
        },
      ],
      [
        "stops retrying when the breaker opens, reporting the processor unavailable",
        {
          given: ["down", "down", "down", "down"],
          want: { ok: false, code: "processor_unavailable", attempts: 3, calls: 3 },
        },
      ],
      [
        "reports an outage that outlasts five attempts when the breaker stays closed",
        {
          given: ["down", "down", "down", "down", "down"],
          threshold: 10,
          want: { ok: false, code: "processor_unavailable", attempts: 5, calls: 5 },
        },
      ],
    ];
  it.each(cases)("%s", async (_name, { given, threshold, want }) => {
    const { call, calls } = scripted(given, threshold === undefined ? {} : { threshold });
    const { calls: wantCalls, ...outcome } = want;
    expect(await call()).toMatchObject(outcome);
    expect(calls()).toBe(wantCalls);
  });

  it("backs off between attempts", async () => {
    const { call, sleeps } = scripted(["down", "down", "ok"]);
    await call();
    expect(sleeps).toEqual([50, 100]);
  });

  it("refuses without calling while the breaker is open, and lets a trial through after the cool-down", async () => {
    const { call, calls, resilient, advance } = scripted(["down", "down", "down"]);
    await call();
    expect(resilient.allowsCalls).toBe(false);
    expect(resilient.retryAfterSeconds).toBe(1);
    expect(await call()).toMatchObject({ ok: false, code: "processor_unavailable", attempts: 1 });
    expect(calls()).toBe(3);
    advance(1_000);
    expect(resilient.allowsCalls).toBe(true);
    expect(await call()).toMatchObject({ ok: true, attempts: 1 });
  });
});
