import { describe, expect, it } from "vitest";
import { contractTimeOf, enumNames, ifGiven, protoMoneyOf, protoTimeOf } from "./proto-values.js";
import { isServiceError } from "./service-error.js";

describe("contract values as proto values", () => {
  it.each([
    ["an empty string", { given: ifGiven("comment", ""), want: {} }],
    ["zero", { given: ifGiven("weightGrams", 0), want: {} }],
    ["a string", { given: ifGiven("comment", "ok"), want: { comment: "ok" } }],
    ["a number", { given: ifGiven("weightGrams", 800), want: { weightGrams: 800 } }],
  ])("ifGiven leaves out proto3's zero value: %s", (_name, { given, want }) => {
    expect(given).toEqual(want);
  });

  it("names enum values and refuses UNSPECIFIED and unknown numbers as validation errors", () => {
    const table: Record<"OPEN" | "CLOSED", number> = { OPEN: 1, CLOSED: 2 };
    const nameOf = enumNames(table);
    expect(nameOf(2, "status")).toBe("CLOSED");
    for (const value of [0, 9]) {
      let thrown: unknown;
      try {
        nameOf(value, "status");
      } catch (error) {
        thrown = error;
      }
      expect(isServiceError(thrown) && thrown.code).toBe("validation");
      expect(String(thrown)).toMatch(/OPEN, CLOSED/);
    }
  });

  it("carries money as bigint minor units and times both ways", () => {
    expect(protoMoneyOf({ amount: 4599, currency: "USD" })).toMatchObject({ amountMinor: 4599n, currency: "USD" });
    expect(contractTimeOf(protoTimeOf("2026-01-18T12:05:00.000Z"))).toBe("2026-01-18T12:05:00.000Z");
  });
});
