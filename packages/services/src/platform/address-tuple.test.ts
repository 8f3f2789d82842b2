import { describe, expect, it } from "vitest";
import { addressOf, addressText, addressTuple, keptAddress } from "./address-tuple.js";

const PLAIN = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
const FULL = {
  name: "Ada Lovelace",
  line1: "350 Fifth Avenue",
  line2: "Suite 2100",
  city: "New York",
  region: "NY",
  postalCode: "10118",
  country: "US",
  phone: "+1 212 555 0100",
};

describe("an address kept as a tuple", () => {
  it.each([
    ["only the required fields", { given: PLAIN, want: '["Ada","1 Main St","Springfield","12345","US"]' }],
    [
      "a second line and no region",
      {
        given: {
          name: "Ada",
          line1: "1 Main St",
          line2: "Flat 2",
          city: "Springfield",
          postalCode: "12345",
          country: "US",
        },
        want: '["Ada","1 Main St","Springfield","12345","US","Flat 2"]',
      },
    ],
    [
      "a phone and nothing between",
      {
        given: { ...PLAIN, phone: "555" },
        want: '["Ada","1 Main St","Springfield","12345","US",null,null,"555"]',
      },
    ],
  ])("keeps %s without the field names, and reads back the same object text", (_, { given, want }) => {
    expect(keptAddress(given)).toBe(want);
    expect(JSON.stringify(addressOf(want))).toBe(JSON.stringify(given));
    expect(addressText(want)).toBe(JSON.stringify(given));
  });

  it("reads back every field of a full address, in the contract's order", () => {
    expect(JSON.stringify(addressOf(keptAddress(FULL)))).toBe(JSON.stringify(FULL));
  });

  it("keeps an address as its object when a tuple would not read back exactly", () => {
    const reordered = { city: "Springfield", name: "Ada", line1: "1 Main St", postalCode: "12345", country: "US" };
    const empty = { ...PLAIN, line2: "" };
    for (const address of [reordered, { ...PLAIN, extra: "x" }]) {
      expect(addressTuple(address)).toBeUndefined();
      expect(keptAddress(address)).toBe(JSON.stringify(address));
    }
    // An empty second line is kept as it is, and read back as it was.
    expect(JSON.stringify(addressOf(keptAddress(empty)))).toBe(JSON.stringify(empty));
  });

  it("reads an address kept before tuples (an object's JSON) as it is", () => {
    const before = JSON.stringify(FULL);
    expect(addressOf(before)).toEqual(FULL);
    expect(addressText(before)).toBe(before);
  });
});
