import { describe, expect, it } from "vitest";
import { keptLines, type ShipmentLine, shipmentItemsText, shipmentLines } from "./shipment-views.js";

const LINES: ShipmentLine[] = [
  {
    productId: "prd_1",
    isbn: "9780131103627",
    title: "The C Programming Language",
    quantity: 2,
    unitPrice: { amount: 4599, currency: "USD" },
  },
  {
    productId: "prd_2",
    isbn: "9780262033848",
    title: "Introduction to Algorithms",
    quantity: 1,
    unitPrice: { amount: 9000, currency: "USD" },
  },
];

describe("a shipment's lines as its row keeps them", () => {
  it("are tuples of their values, which read back as the same lines", () => {
    const items = keptLines(LINES);
    expect(items).toBe(
      '[["prd_1","9780131103627","The C Programming Language",2,4599,"USD"],["prd_2","9780262033848","Introduction to Algorithms",1,9000,"USD"]]',
    );
    expect(JSON.stringify(shipmentLines({ items }))).toBe(JSON.stringify(LINES));
    expect(shipmentItemsText(items)).toBe(JSON.stringify(LINES));
  });

  it("read as they did when a row written before keeps objects", () => {
    const before = JSON.stringify(LINES);
    expect(shipmentLines({ items: before })).toEqual(LINES);
    expect(shipmentItemsText(before)).toBe(before);
  });

  it("stay objects when a line would not read back exactly as a tuple", () => {
    const odd = [{ ...LINES[0], note: "gift" }] as unknown as ShipmentLine[];
    expect(keptLines(odd)).toBe(JSON.stringify(odd));
  });
});
