import { describe, expect, it } from "vitest";
import { brandOf, type CardBrand, type CardOutcome, hasExpired, outcomeOf, passesLuhn } from "./cards.js";

describe("passesLuhn", () => {
  const cases: [string, { given: string; want: boolean }][] = [
    ["the approving test card", { given: "4242424242424242", want: true }],
    ["the declining test card", { given: "4000000000000002", want: true }],
    ["the insufficient-funds test card", { given: "4000000000009995", want: true }],
    ["the processor-error test card", { given: "4000000000000119", want: true }],
    ["an amex number", { given: "378282246310005", want: true }],
    ["one digit off", { given: "4242424242424241", want: false }],
    ["two digits swapped", { given: "4242424242424224", want: false }],
    ["not digits", { given: "4242-4242-4242-4242", want: false }],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(passesLuhn(given)).toBe(want);
  });
});

describe("brandOf", () => {
  const cases: [string, { given: string; want: CardBrand }][] = [
    ["4… is visa", { given: "4242424242424242", want: "visa" }],
    ["51–55 is mastercard", { given: "5555555555554444", want: "mastercard" }],
    ["2221–2720 is mastercard", { given: "2223003122003222", want: "mastercard" }],
    ["34 is amex", { given: "343434343434343", want: "amex" }],
    ["37 is amex", { given: "378282246310005", want: "amex" }],
    ["6011 is discover", { given: "6011111111111117", want: "discover" }],
    ["65 is discover", { given: "6500000000000002", want: "discover" }],
    ["anything else is unknown", { given: "3056930009020004", want: "unknown" }],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(brandOf(given)).toBe(want);
  });
});

describe("hasExpired", () => {
  const cases: [string, { given: { expMonth: number; expYear: number }; head: string; want: boolean }][] = [
    [
      "valid through the last moment of its month",
      { given: { expMonth: 1, expYear: 2026 }, head: "2026-01-31T23:59:59.999Z", want: false },
    ],
    [
      "expired on the first of the next month",
      { given: { expMonth: 1, expYear: 2026 }, head: "2026-02-01T00:00:00.000Z", want: true },
    ],
    [
      "December rolls into the next year",
      { given: { expMonth: 12, expYear: 2025 }, head: "2025-12-31T12:00:00.000Z", want: false },
    ],
    ["long expired", { given: { expMonth: 11, expYear: 2025 }, head: "2026-01-01T00:00:00.000Z", want: true }],
  ];
  it.each(cases)("%s", (_name, { given, head, want }) => {
    expect(hasExpired(given, new Date(head))).toBe(want);
  });
});

describe("outcomeOf", () => {
  const cases: [string, { given: string; want: CardOutcome }][] = [
    ["4242… approves", { given: "4242424242424242", want: "approve" }],
    ["…0002 is declined", { given: "4000000000000002", want: "card_declined" }],
    ["…9995 lacks funds", { given: "4000000000009995", want: "insufficient_funds" }],
    ["…0119 makes the processor fail", { given: "4000000000000119", want: "processor_error" }],
    ["any other card approves", { given: "5555555555554444", want: "approve" }],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(outcomeOf(given)).toBe(want);
  });
});
