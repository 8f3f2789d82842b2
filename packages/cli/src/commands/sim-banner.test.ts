import { describe, expect, it } from "vitest";
import { restCoverage } from "./sim.js";

describe("the sim up banner's REST line", () => {
  it("says every context is served when each contract has a running context", () => {
    expect(restCoverage(["cart", "order"], ["order", "cart", "search"])).toBe(
      "contracts/openapi/*.yaml of every context: cart, order",
    );
  });

  it("names the contexts whose operations answer 501 when a contract has no running context", () => {
    expect(restCoverage(["cart", "notification", "order"], ["cart", "order"])).toBe(
      "contracts/openapi/*.yaml of cart, order; the operations of notification answer 501",
    );
  });
});
