import { describe, expect, it } from "vitest";
import { seedBooks } from "./books.js";
import { seedStockLevels } from "./stock-levels.js";

describe("the seed stock levels", () => {
  it("give every seeded book its stock by ISBN, once each", () => {
    const levels = seedStockLevels();
    expect(levels).toHaveLength(seedBooks.length);
    expect(new Set(levels.map((level) => level.isbn)).size).toBe(levels.length);
    const first = seedBooks[0]!;
    expect(levels).toContainEqual({ isbn: first.isbn, quantity: first.stock });
  });

  it("include books that start out of stock, so that path has data", () => {
    expect(seedStockLevels().some((level) => level.quantity === 0)).toBe(true);
  });
});
