import { describe, expect, it } from "vitest";
import {
  type CommitDecision,
  commitDecision,
  lowStockCrossing,
  normaliseLines,
  type ReleaseDecision,
  type ReservationState,
  releaseDecision,
  type StockStatus,
  sameLines,
  stockStatus,
} from "./stock-rules.js";

const A = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A";
const B = "prd_01JH8Z4B5C6D7E8F9G0H1J2K3M";

describe("stockStatus", () => {
  const cases: [string, { given: { onHand: number; reserved: number; reorderLevel: number }; want: StockStatus }][] = [
    ["plenty available is in stock", { given: { onHand: 40, reserved: 3, reorderLevel: 10 }, want: "IN_STOCK" }],
    [
      "one above the reorder level is in stock",
      { given: { onHand: 6, reserved: 0, reorderLevel: 5 }, want: "IN_STOCK" },
    ],
    ["exactly the reorder level is low", { given: { onHand: 6, reserved: 1, reorderLevel: 5 }, want: "LOW" }],
    ["one copy left is low", { given: { onHand: 10, reserved: 9, reorderLevel: 5 }, want: "LOW" }],
    ["everything reserved is out", { given: { onHand: 10, reserved: 10, reorderLevel: 5 }, want: "OUT" }],
    ["nothing on hand is out", { given: { onHand: 0, reserved: 0, reorderLevel: 5 }, want: "OUT" }],
    ["a zero reorder level is never low", { given: { onHand: 1, reserved: 0, reorderLevel: 0 }, want: "IN_STOCK" }],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(stockStatus(given)).toBe(want);
  });
});

describe("lowStockCrossing", () => {
  const cases: [string, { given: StockStatus; head: StockStatus; want: "LOW" | "OUT" | undefined }][] = [
    ["in stock falling to low raises LOW", { given: "IN_STOCK", head: "LOW", want: "LOW" }],
    ["in stock falling to out raises OUT", { given: "IN_STOCK", head: "OUT", want: "OUT" }],
    ["low falling to out raises OUT", { given: "LOW", head: "OUT", want: "OUT" }],
    ["staying low raises nothing", { given: "LOW", head: "LOW", want: undefined }],
    ["staying out raises nothing", { given: "OUT", head: "OUT", want: undefined }],
    ["recovering from out to low raises nothing", { given: "OUT", head: "LOW", want: undefined }],
    ["recovering to in stock raises nothing", { given: "LOW", head: "IN_STOCK", want: undefined }],
  ];
  it.each(cases)("%s", (_name, { given, head, want }) => {
    expect(lowStockCrossing(given, head)).toBe(want);
  });
});

describe("normaliseLines", () => {
  it("sorts lines by product so the same request in another order compares equal", () => {
    const first = normaliseLines([
      { productId: B, quantity: 1 },
      { productId: A, quantity: 2 },
    ]);
    const second = normaliseLines([
      { productId: A, quantity: 2 },
      { productId: B, quantity: 1 },
    ]);
    expect("lines" in first && "lines" in second && sameLines(first.lines, second.lines)).toBe(true);
    expect("lines" in first && first.lines.map((line) => line.productId)).toEqual([A, B]);
  });

  const refused: [string, { given: { productId: string; quantity: number }[]; want: string }][] = [
    ["no lines", { given: [], want: "/items" }],
    ["a malformed product id", { given: [{ productId: "prd_1", quantity: 1 }], want: "/items/0/productId" }],
    ["a zero quantity", { given: [{ productId: A, quantity: 0 }], want: "/items/0/quantity" }],
    ["more than 99 copies of one line", { given: [{ productId: A, quantity: 100 }], want: "/items/0/quantity" }],
    [
      "a repeated product",
      {
        given: [
          { productId: A, quantity: 1 },
          { productId: A, quantity: 2 },
        ],
        want: "/items/1/productId",
      },
    ],
  ];
  it.each(refused)("refuses %s", (_name, { given, want }) => {
    const result = normaliseLines(given);
    expect("problem" in result && result.problem.pointer).toBe(want);
  });

  it("tells different quantities apart", () => {
    expect(sameLines([{ productId: A, quantity: 1 }], [{ productId: A, quantity: 2 }])).toBe(false);
  });
});

describe("reservation transitions", () => {
  const releases: [string, { given: ReservationState; want: ReleaseDecision }][] = [
    ["a held reservation is released", { given: "RESERVED", want: "release" }],
    ["a released one is left as it is", { given: "RELEASED", want: "already-done" }],
    ["an expired one is left as it is", { given: "EXPIRED", want: "already-done" }],
    ["an unavailable one is left as it is", { given: "UNAVAILABLE", want: "already-done" }],
    ["a committed one is refused: that stock is sold", { given: "COMMITTED", want: "refuse-committed" }],
  ];
  it.each(releases)("release: %s", (_name, { given, want }) => {
    expect(releaseDecision(given)).toBe(want);
  });

  const now = new Date("2026-01-01T00:10:00.000Z");
  const commits: [string, { given: ReservationState; head: string | null; want: CommitDecision }][] = [
    [
      "a held reservation before expiry is committed",
      { given: "RESERVED", head: "2026-01-01T00:15:00.000Z", want: "commit" },
    ],
    [
      "a held reservation at its expiry has lapsed",
      { given: "RESERVED", head: "2026-01-01T00:10:00.000Z", want: "refuse-lapsed" },
    ],
    [
      "a committed one is left as it is",
      { given: "COMMITTED", head: "2026-01-01T00:15:00.000Z", want: "already-done" },
    ],
    ["a released one is refused", { given: "RELEASED", head: "2026-01-01T00:15:00.000Z", want: "refuse-not-held" }],
    ["an expired one is refused", { given: "EXPIRED", head: "2026-01-01T00:05:00.000Z", want: "refuse-not-held" }],
    ["an unavailable one is refused", { given: "UNAVAILABLE", head: null, want: "refuse-not-held" }],
  ];
  it.each(commits)("commit: %s", (_name, { given, head, want }) => {
    expect(commitDecision(given, head, now)).toBe(want);
  });
});
