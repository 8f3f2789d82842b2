import { describe, expect, it } from "vitest";
import { createAuthorizationRoute, type RoutedOutcome } from "./authorization-route.js";
import { CircuitBreaker } from "./circuit-breaker.js";
import { type PaymentProcessor, type ProcessorAnswer, ProcessorError } from "./processor.js";
import { createResilientProcessor } from "./resilient-processor.js";
import type { SoapPaymentProcessor } from "./soap-processor.js";

type Reply = "ok" | "down" | "error" | "decline";

/** SOAP and REST interfaces over scripts of replies, each behind its own breaker (5 failures open it). */
function route(soapReplies: Reply[], restReplies: Reply[] = []) {
  const calls = { soap: 0, rest: 0 };
  const answer = (replies: Reply[], path: "soap" | "rest") => async (): Promise<ProcessorAnswer> => {
    const reply = replies[calls[path]++] ?? "ok";
    if (reply === "down") throw new ProcessorError("processor_unavailable", "no answer");
    if (reply === "error") throw new ProcessorError("processor_error", "boom");
    if (reply === "decline") return { status: "declined", code: "card_declined", processorReference: `ch_${path}` };
    return { status: "succeeded", processorReference: `ch_${path}` };
  };
  const rest: PaymentProcessor = {
    authorize: answer(restReplies, "rest"),
    capture: answer(restReplies, "rest"),
    void: answer(restReplies, "rest"),
    refund: answer(restReplies, "rest"),
  };
  const soap: SoapPaymentProcessor = { authorize: answer(soapReplies, "soap") };
  const resilience = {
    policy: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
    random: () => 0,
    sleep: async () => {},
  };
  const breaker = () => new CircuitBreaker({ failureThreshold: 5, coolDownMs: 30_000, now: () => new Date(0) });
  const soapBreaker = breaker();
  const authorizations = createAuthorizationRoute({
    soap: createResilientProcessor({ processor: soap, breaker: soapBreaker, ...resilience }),
    rest: createResilientProcessor({ processor: rest, breaker: breaker(), ...resilience }),
  });
  const authorize = () =>
    authorizations.authorize({
      reference: "chg_1",
      paymentId: "pay_1",
      orderId: "ord_1",
      amount: { amount: 1, currency: "USD" },
      card: { brand: "visa", last4: "4242", expMonth: 1, expYear: 2030, outcome: "approve" },
    });
  return { authorize, calls, soapBreaker };
}

describe("createAuthorizationRoute", () => {
  const cases: [string, { soap: Reply[]; rest?: Reply[]; want: Partial<RoutedOutcome>; calls: [number, number] }][] = [
    ["pays over SOAP when it answers", { soap: ["ok"], want: { ok: true, path: "soap", attempts: 1 }, calls: [1, 0] }],
    [
      "retries SOAP before giving up on it",
      { soap: ["down", "down", "ok"], want: { ok: true, path: "soap", attempts: 3 }, calls: [3, 0] },
    ],
    [
      "falls back to REST once SOAP's five attempts find it down",
      { soap: ["down", "down", "down", "down", "down"], want: { ok: true, path: "rest", attempts: 6 }, calls: [5, 1] },
    ],
    [
      "takes a SOAP decline as the processor's answer, without asking REST",
      { soap: ["decline"], want: { ok: true, path: "soap" }, calls: [1, 0] },
    ],
    [
      "takes the processor's own error over SOAP as its answer, without asking REST",
      {
        soap: ["error", "error", "error", "error", "error"],
        want: { ok: false, code: "processor_error", path: "soap" },
        calls: [5, 0],
      },
    ],
    [
      "reports the processor unavailable when both interfaces are down",
      {
        soap: ["down", "down", "down", "down", "down"],
        rest: ["down", "down", "down", "down", "down"],
        want: { ok: false, code: "processor_unavailable", path: "rest", attempts: 10 },
        calls: [5, 5],
      },
    ],
  ];
  it.each(cases)("%s", async (_name, { soap, rest, want, calls: [soapCalls, restCalls] }) => {
    const { authorize, calls } = route(soap, rest);
    expect(await authorize()).toMatchObject(want);
    expect(calls).toEqual({ soap: soapCalls, rest: restCalls });
  });

  it("goes straight to REST while SOAP's breaker is open", async () => {
    const { authorize, calls, soapBreaker } = route(["down", "down", "down", "down", "down"]);
    await authorize();
    expect(soapBreaker.state).toBe("open");
    expect(await authorize()).toMatchObject({ ok: true, path: "rest", attempts: 1 });
    expect(calls).toEqual({ soap: 5, rest: 2 });
  });
});
