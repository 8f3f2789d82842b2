import { describe, expect, it } from "vitest";
import { couponStatus, promotionStatus, spread } from "./discount-rules.js";

const NOW = "2026-01-18T12:00:00.000Z";

describe("spread", () => {
  const cases: [string, { amount: number; weights: number[]; want: number[] }][] = [
    [
      "splits in proportion, rounding down, remainder to the first line",
      { amount: 100, weights: [100, 100, 100], want: [34, 33, 33] },
    ],
    ["moves remainder past a line that cannot take it", { amount: 2, weights: [1, 1, 1], want: [1, 1, 0] }],
    [
      "takes a whole line when the amount equals the weights",
      { amount: 10398, weights: [9198, 1200], want: [9198, 1200] },
    ],
    ["leaves empty lines alone", { amount: 50, weights: [0, 100], want: [0, 50] }],
    [
      "survives amounts whose products pass 2^53",
      { amount: 99_999_999_999, weights: [100_000_000_000, 1], want: [99_999_999_999, 0] },
    ],
  ];
  it.each(cases)("%s", (_name, { amount, weights, want }) => {
    expect(spread(amount, weights)).toEqual(want);
  });
});

describe("statuses", () => {
  const window = { validFrom: "2026-01-01T00:00:00.000Z", validUntil: "2026-02-01T00:00:00.000Z", usageCount: 0 };
  const cases: [string, { given: Parameters<typeof promotionStatus>[0]; now: string; want: string }][] = [
    ["scheduled before its window", { given: window, now: "2025-12-31T23:59:59.999Z", want: "SCHEDULED" }],
    ["active at its start", { given: window, now: "2026-01-01T00:00:00.000Z", want: "ACTIVE" }],
    ["expired at its (exclusive) end", { given: window, now: "2026-02-01T00:00:00.000Z", want: "EXPIRED" }],
    ["expired at its usage limit", { given: { ...window, usageLimit: 5, usageCount: 5 }, now: NOW, want: "EXPIRED" }],
    ["disabled whatever the clock", { given: { ...window, disabledAt: NOW }, now: NOW, want: "DISABLED" }],
  ];
  it.each(cases)("a promotion is %s", (_name, { given, now, want }) => {
    expect(promotionStatus(given, now)).toBe(want);
  });

  it("derives a coupon's status from its own state and its promotion's", () => {
    expect(couponStatus({ usageCount: 0 }, "ACTIVE", NOW)).toBe("ACTIVE");
    expect(couponStatus({ usageCount: 0 }, "SCHEDULED", NOW)).toBe("ACTIVE");
    expect(couponStatus({ usageCount: 2, usageLimit: 2 }, "ACTIVE", NOW)).toBe("EXHAUSTED");
    expect(couponStatus({ usageCount: 0, validUntil: NOW }, "ACTIVE", NOW)).toBe("EXPIRED");
    expect(couponStatus({ usageCount: 0 }, "EXPIRED", NOW)).toBe("EXPIRED");
    expect(couponStatus({ usageCount: 0 }, "DISABLED", NOW)).toBe("DEACTIVATED");
    expect(couponStatus({ usageCount: 0, deactivatedAt: NOW }, "ACTIVE", NOW)).toBe("DEACTIVATED");
  });
});
