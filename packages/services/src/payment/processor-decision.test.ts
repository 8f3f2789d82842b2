import { describe, expect, it } from "vitest";
import type { ProcessorAnswer } from "./processor.js";
import { type Decision, decisionOf, isIssuerDecline } from "./processor-decision.js";

describe("decisionOf", () => {
  const cases: [string, { given: ProcessorAnswer; want: Decision }][] = [
    [
      "reads an issuer's decline as a failure with its code",
      {
        given: { status: "declined", code: "insufficient_funds", processorReference: "ch_1" },
        want: { outcome: "failed", code: "insufficient_funds", processorReference: "ch_1", attempts: 2 },
      },
    ],
    [
      "reads a refusal over a captured authorization as a failure that names the capture, what it took, and says why",
      {
        given: {
          status: "declined",
          code: "authorization_captured",
          processorReference: "cp_1",
          captured: { amount: 5000, currency: "USD" },
        },
        want: {
          outcome: "failed",
          code: "processor_error",
          message: "The processor refused: the authorization was captured already.",
          refusal: "authorization_captured",
          processorReference: "cp_1",
          capturedAmount: 5000,
          attempts: 2,
        },
      },
    ],
    [
      "reads a capture refused over a voided authorization as the hold being gone, which fails the payment",
      {
        given: { status: "declined", code: "authorization_voided", processorReference: "vd_1" },
        want: {
          outcome: "failed",
          code: "authorization_expired",
          message: "The authorization was voided before the capture; nothing was captured.",
          refusal: "authorization_voided",
          processorReference: "vd_1",
          attempts: 2,
        },
      },
    ],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    const decision = decisionOf({ ok: true, answer: given, attempts: 2 });
    expect(decision).toEqual(want);
    if (decision.outcome === "failed" && decision.refusal === "authorization_voided") {
      expect(isIssuerDecline(decision.code)).toBe(true);
    }
  });
});
