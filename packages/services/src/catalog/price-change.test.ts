import { describe, expect, it } from "vitest";
import { planPriceChange } from "./price-change.js";

const usd = (amount: number) => ({ amount, currency: "USD" });

describe("a price change", () => {
  it.each([
    [
      "a lower price",
      {
        base: { status: "ACTIVE", price: usd(4599) },
        head: usd(3999),
        want: { kind: "change", previous: usd(4599), next: usd(3999) },
      },
    ],
    [
      "a higher price",
      {
        base: { status: "ACTIVE", price: usd(4599) },
        head: usd(4999),
        want: { kind: "change", previous: usd(4599), next: usd(4999) },
      },
    ],
    [
      "a price of zero",
      {
        base: { status: "ACTIVE", price: usd(4599) },
        head: usd(0),
        want: { kind: "change", previous: usd(4599), next: usd(0) },
      },
    ],
    ["the same price", { base: { status: "ACTIVE", price: usd(4599) }, head: usd(4599), want: { kind: "unchanged" } }],
  ] as const)("accepts %s", (_name, { base, head, want }) => {
    expect(planPriceChange(base, head)).toEqual(want);
  });

  it.each([
    [
      "another currency",
      { base: { status: "ACTIVE", price: usd(4599) }, head: { amount: 3999, currency: "EUR" }, want: "unprocessable" },
    ],
    [
      "a discontinued product",
      { base: { status: "DISCONTINUED", price: usd(4599) }, head: usd(3999), want: "conflict" },
    ],
  ] as const)("refuses %s", (_name, { base, head, want }) => {
    const plan = planPriceChange(base, head);
    expect(plan.kind).toBe("refused");
    expect(plan.kind === "refused" && plan.error.code).toBe(want);
  });
});
