import { describe, expect, it } from "vitest";
import { packPricing, readPricing } from "./checkout-pricing.js";
import type { PricingSnapshot } from "./store.js";

const ADDRESS = { name: "Ada", line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" };
const PRICING: PricingSnapshot = {
  products: [
    { isbn: "9780131103627", title: "The C Programming Language" },
    { isbn: "9780262033848", title: "Introduction to Algorithms" },
  ],
  discount: 920,
  appliedPromotions: [{ promotionId: "prm_1", couponCode: "WELCOME10", discount: 920 }],
  shippingAddress: ADDRESS,
};

describe("a checkout's pricing snapshot as its row keeps it", () => {
  it("is its values without their names, about half the object's text, and reads back the same", () => {
    const kept = packPricing(PRICING);
    expect(kept.startsWith("[")).toBe(true);
    expect(kept.length).toBeLessThan(JSON.stringify(PRICING).length * 0.7);
    expect(JSON.stringify(readPricing(kept))).toBe(JSON.stringify(PRICING));
  });

  it("reads back a billing address of its own", () => {
    const billed = { ...PRICING, billingAddress: { ...ADDRESS, name: "Bob", region: "IL" } };
    expect(JSON.stringify(readPricing(packPricing(billed)))).toBe(JSON.stringify(billed));
  });

  it("reads a snapshot written before (an object, products named by id) as it was", () => {
    const before = { ...PRICING, products: [{ productId: "prd_1", isbn: "9780131103627", title: "C" }] };
    expect(readPricing(JSON.stringify(before))).toEqual(before);
    // Were such a snapshot written again, it would stay an object: its product ids have no place in the tuple.
    expect(packPricing(before)).toBe(JSON.stringify(before));
    expect(readPricing(null)).toBeNull();
  });

  it("keeps a snapshot whose address would not read back as a tuple as its object", () => {
    const { name, ...rest } = ADDRESS;
    const odd = { ...PRICING, shippingAddress: { ...rest, name } };
    expect(packPricing(odd)).toBe(JSON.stringify(odd));
  });
});
