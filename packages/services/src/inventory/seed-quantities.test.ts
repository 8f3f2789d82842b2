import { describe, expect, it } from "vitest";
import { seedStockLevels } from "../seed-data/index.js";
import { createSeedQuantities } from "./seed-quantities.js";

describe("createSeedQuantities", () => {
  const table = () => [
    { isbn: "9780131103627", quantity: 12 },
    { isbn: "9780262033848", quantity: 0 },
  ];
  const cases: [string, { given: string; want: number }][] = [
    ["a seeded book gets its opening stock", { given: "9780131103627", want: 12 }],
    ["a seeded book listed out of stock gets none", { given: "9780262033848", want: 0 }],
    ["a book the seed table does not list gets none", { given: "9781492052203", want: 0 }],
  ];
  it.each(cases)("%s", (_name, { given, want }) => {
    expect(createSeedQuantities(table)({ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", isbn: given })).toBe(want);
  });

  it("reads the catalog's seed table by default", () => {
    const stocked = seedStockLevels().find((level) => level.quantity > 0)!;
    expect(createSeedQuantities()({ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", isbn: stocked.isbn })).toBe(
      stocked.quantity,
    );
  });
});
