import { describe, expect, it } from "vitest";
import {
  type CancelPlan,
  type FulfilmentTarget,
  planCancel,
  planStatusChange,
  type StatusChangePlan,
} from "./order-status.js";

describe("moving an order along fulfilment", () => {
  const cases: [
    string,
    { given: { from: string; to: FulfilmentTarget; by: "admin" | "system" }; want: StatusChangePlan["kind"] },
  ][] = [
    [
      "an admin moves a paid order to FULFILLED",
      { given: { from: "PAID", to: "FULFILLED", by: "admin" }, want: "move" },
    ],
    [
      "an admin moves a fulfilled order to SHIPPED",
      { given: { from: "FULFILLED", to: "SHIPPED", by: "admin" }, want: "move" },
    ],
    [
      "an admin moves a shipped order to DELIVERED",
      { given: { from: "SHIPPED", to: "DELIVERED", by: "admin" }, want: "move" },
    ],
    ["an admin may not skip a step", { given: { from: "PAID", to: "DELIVERED", by: "admin" }, want: "invalid" }],
    ["an admin may not go back", { given: { from: "SHIPPED", to: "FULFILLED", by: "admin" }, want: "invalid" }],
    [
      "setting the status the order has changes nothing",
      { given: { from: "SHIPPED", to: "SHIPPED", by: "admin" }, want: "unchanged" },
    ],
    [
      "a PENDING order cannot be fulfilled",
      { given: { from: "PENDING", to: "FULFILLED", by: "admin" }, want: "invalid" },
    ],
    [
      "a CANCELED order cannot be shipped",
      { given: { from: "CANCELED", to: "SHIPPED", by: "system" }, want: "invalid" },
    ],
    [
      "a fulfilment event may move a paid order past packing",
      { given: { from: "PAID", to: "SHIPPED", by: "system" }, want: "move" },
    ],
    [
      "a late packing event for a shipped order is stale",
      { given: { from: "SHIPPED", to: "FULFILLED", by: "system" }, want: "stale" },
    ],
    [
      "a repeated delivery event changes nothing",
      { given: { from: "DELIVERED", to: "DELIVERED", by: "system" }, want: "unchanged" },
    ],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(planStatusChange(given.from, given.to, given.by).kind).toBe(want);
  });

  it("says which step is allowed when one is skipped", () => {
    expect(planStatusChange("PAID", "DELIVERED", "admin")).toEqual({
      kind: "invalid",
      message: "it is PAID; it can move to FULFILLED only, not DELIVERED",
    });
  });
});

describe("canceling an order", () => {
  const cases: [
    string,
    { given: { status: string; role: "customer" | "admin"; sagaRunning: boolean }; want: CancelPlan["kind"] },
  ][] = [
    [
      "a customer cancels their PENDING order",
      { given: { status: "PENDING", role: "customer", sagaRunning: false }, want: "void_and_release" },
    ],
    [
      "an admin cancels a PENDING order",
      { given: { status: "PENDING", role: "admin", sagaRunning: false }, want: "void_and_release" },
    ],
    [
      "a PENDING order whose saga runs is the saga's",
      { given: { status: "PENDING", role: "customer", sagaRunning: true }, want: "conflict" },
    ],
    [
      "a customer may not cancel a PAID order",
      { given: { status: "PAID", role: "customer", sagaRunning: false }, want: "forbidden" },
    ],
    [
      "an admin cancels a PAID order with a refund",
      { given: { status: "PAID", role: "admin", sagaRunning: false }, want: "refund" },
    ],
    [
      "a FULFILLED order is returned, not canceled",
      { given: { status: "FULFILLED", role: "admin", sagaRunning: false }, want: "conflict" },
    ],
    [
      "a SHIPPED order cannot be canceled",
      { given: { status: "SHIPPED", role: "admin", sagaRunning: false }, want: "conflict" },
    ],
    [
      "a DELIVERED order cannot be canceled",
      { given: { status: "DELIVERED", role: "customer", sagaRunning: false }, want: "conflict" },
    ],
    [
      "canceling a CANCELED order changes nothing",
      { given: { status: "CANCELED", role: "customer", sagaRunning: false }, want: "unchanged" },
    ],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(planCancel(given.status, given.role, given.sagaRunning).kind).toBe(want);
  });
});
