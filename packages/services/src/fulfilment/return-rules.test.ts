import { describe, expect, it } from "vitest";
import { planReturnLines, rmaNumber } from "./return-rules.js";

const C_BOOK = {
  productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
  isbn: "9780131103627",
  title: "The C Programming Language",
  quantity: 2,
  unitPrice: { amount: 4599, currency: "USD" },
};
const ORDER = "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R";

describe("the lines of a return", () => {
  it("are priced from the order's snapshot", () => {
    const plan = planReturnLines(ORDER, [C_BOOK], new Map(), [{ productId: C_BOOK.productId, quantity: 1 }]);
    expect(plan).toMatchObject({ kind: "ok", refundAmount: 4599 });
  });

  it("may not take back more than was delivered less what earlier returns took", () => {
    const returned = new Map([[C_BOOK.productId, 1]]);
    const plan = planReturnLines(ORDER, [C_BOOK], returned, [{ productId: C_BOOK.productId, quantity: 2 }]);
    expect(plan).toMatchObject({ kind: "exceeds", pointer: "/items/0/quantity", message: "must be <= 1" });
  });

  it("count one product named twice together", () => {
    const plan = planReturnLines(ORDER, [C_BOOK], new Map(), [
      { productId: C_BOOK.productId, quantity: 1 },
      { productId: C_BOOK.productId, quantity: 2 },
    ]);
    expect(plan).toMatchObject({ kind: "exceeds", pointer: "/items/1/quantity" });
  });

  it("must be in the order", () => {
    const plan = planReturnLines(ORDER, [C_BOOK], new Map(), [
      { productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z3T", quantity: 1 },
    ]);
    expect(plan).toMatchObject({ kind: "exceeds", pointer: "/items/0/productId" });
  });
});

describe("an RMA number", () => {
  it("matches the contract's pattern", () => {
    let draw = 0;
    expect(rmaNumber(() => (draw++ % 32) / 32)).toMatch(/^RMA-[0-9A-HJKMNP-TV-Z]{8}$/);
  });
});
