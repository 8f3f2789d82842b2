import { describe, expect, it } from "vitest";
import { keptLines, linesOf, reservationItemsText } from "./reservation-rows.js";

const LINES = [
  { productId: "prd_1", quantity: 2 },
  { productId: "prd_2", quantity: 1 },
];

describe("a reservation's lines as its row keeps them", () => {
  it("are [productId, quantity] tuples, which read back as the same lines", () => {
    const items = keptLines(LINES);
    expect(items).toBe('[["prd_1",2],["prd_2",1]]');
    expect(linesOf({ items })).toEqual(LINES);
    expect(reservationItemsText(items)).toBe(JSON.stringify(LINES));
  });

  it("read as they did when a row written before keeps objects", () => {
    const before = JSON.stringify(LINES);
    expect(linesOf({ items: before })).toEqual(LINES);
    expect(reservationItemsText(before)).toBe(before);
    expect(linesOf({ items: "[]" })).toEqual([]);
  });

  it("stay objects when a line would not read back exactly as a tuple", () => {
    const reordered = [{ quantity: 2, productId: "prd_1" }];
    expect(keptLines(reordered)).toBe(JSON.stringify(reordered));
  });
});
