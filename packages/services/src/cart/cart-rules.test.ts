import { describe, expect, it } from "vitest";
import {
  CART_IDLE_MS,
  type CartEvent,
  type CartStatus,
  checkAdd,
  expiresAt,
  isIdle,
  MAX_LINES,
  MAX_QUANTITY,
  nextStatus,
  totals,
} from "./cart-rules.js";

describe("the cart's status machine", () => {
  const cases: [string, { given: CartStatus; event: CartEvent; want: CartStatus | undefined }][] = [
    ["an open cart checks out", { given: "OPEN", event: "check_out", want: "CHECKED_OUT" }],
    ["a checked-out cart cannot check out again", { given: "CHECKED_OUT", event: "check_out", want: undefined }],
    [
      "a completed checkout converts the cart",
      { given: "CHECKED_OUT", event: "checkout_completed", want: "CONVERTED" },
    ],
    ["a failed checkout reopens the cart", { given: "CHECKED_OUT", event: "checkout_failed", want: "OPEN" }],
    [
      "a late failure does not reopen a converted cart",
      { given: "CONVERTED", event: "checkout_failed", want: undefined },
    ],
    ["a completion does not convert an open cart", { given: "OPEN", event: "checkout_completed", want: undefined }],
    ["an idle open cart expires", { given: "OPEN", event: "expire", want: "EXPIRED" }],
    ["a cart in checkout does not expire", { given: "CHECKED_OUT", event: "expire", want: undefined }],
    ["an expired cart cannot check out", { given: "EXPIRED", event: "check_out", want: undefined }],
  ];
  it.each(cases)("%s", (_name, { given, event, want }) => {
    expect(nextStatus(given, event)).toBe(want);
  });
});

describe("quantity limits", () => {
  const cases: [string, { existing: number | undefined; added: number; lines: number; want: string | undefined }][] = [
    ["a first copy is fine", { existing: undefined, added: 1, lines: 0, want: undefined }],
    ["raising a line to the maximum is fine", { existing: 90, added: 9, lines: 1, want: undefined }],
    ["raising a line past the maximum is refused", { existing: 90, added: 10, lines: 1, want: "too_many_copies" }],
    [
      "a new line beyond the last allowed is refused",
      { existing: undefined, added: 1, lines: MAX_LINES, want: "too_many_lines" },
    ],
    ["raising an existing line in a full cart is fine", { existing: 1, added: 1, lines: MAX_LINES, want: undefined }],
  ];
  it.each(cases)("%s", (_name, { existing, added, lines, want }) => {
    expect(checkAdd(existing, added, lines)?.kind).toBe(want);
  });

  it("matches the contract's bounds", () => {
    expect(MAX_QUANTITY).toBe(99);
    expect(MAX_LINES).toBe(100);
  });
});

describe("idle expiry", () => {
  const last = new Date("2026-01-18T12:05:00.000Z");
  it("is seven days after the last activity", () => {
    expect(expiresAt(last).toISOString()).toBe("2026-01-25T12:05:00.000Z");
    expect(CART_IDLE_MS).toBe(7 * 86_400_000);
  });

  const cases: [string, { status: string; at: string; want: boolean }][] = [
    [
      "an open cart a minute before its deadline is not idle",
      { status: "OPEN", at: "2026-01-25T12:04:00.000Z", want: false },
    ],
    ["an open cart at its deadline is idle", { status: "OPEN", at: "2026-01-25T12:05:00.000Z", want: true }],
    [
      "a checked-out cart past its deadline is not idle",
      { status: "CHECKED_OUT", at: "2026-02-25T00:00:00.000Z", want: false },
    ],
  ];
  it.each(cases)("%s", (_name, { status, at, want }) => {
    expect(isIdle({ status, expiresAt: expiresAt(last).toISOString() }, new Date(at))).toBe(want);
  });
});

describe("totals", () => {
  it("multiplies each line and adds the lines, in minor units", () => {
    expect(
      totals([
        { quantity: 2, unitPrice: 4599 },
        { quantity: 1, unitPrice: 1 },
      ]),
    ).toEqual({ lineTotals: [9198, 1], subtotal: 9199 });
  });

  it("is zero for an empty cart", () => {
    expect(totals([])).toEqual({ lineTotals: [], subtotal: 0 });
  });
});
