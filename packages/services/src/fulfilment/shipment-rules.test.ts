import { describe, expect, it } from "vitest";
import { planCancelShipment, planStep, returnWindowEnd } from "./shipment-rules.js";

describe("shipment steps", () => {
  it.each([
    ["PENDING", "pick", "move"],
    ["PICKED", "pick", "unchanged"],
    ["PICKED", "pack", "move"],
    ["PACKED", "pack", "unchanged"],
    ["PACKED", "ship", "move"],
    ["SHIPPED", "deliver", "move"],
    ["DELIVERED", "deliver", "unchanged"],
    ["PENDING", "pack", "conflict"],
    ["PICKED", "ship", "conflict"],
    ["PACKED", "deliver", "conflict"],
    ["SHIPPED", "pick", "conflict"],
    ["CANCELED", "pick", "conflict"],
  ] as const)("a %s shipment asked to %s comes to %s", (status, step, kind) => {
    expect(planStep(status, step).kind).toBe(kind);
  });

  it("says which step comes first when one is skipped", () => {
    expect(planStep("PICKED", "ship")).toEqual({ kind: "conflict", message: "pack it before it can be shipped" });
  });
});

describe("canceling a shipment", () => {
  it.each([
    ["PENDING", "cancel"],
    ["PICKED", "cancel"],
    ["PACKED", "cancel"],
    ["SHIPPED", "too_late"],
    ["DELIVERED", "too_late"],
    ["CANCELED", "unchanged"],
  ] as const)("a %s shipment comes to %s", (status, kind) => {
    expect(planCancelShipment(status).kind).toBe(kind);
  });
});

describe("the return window", () => {
  it("closes 30 days after delivery", () => {
    expect(returnWindowEnd("2026-01-21T14:02:00.000Z")).toBe("2026-02-20T14:02:00.000Z");
  });
});
