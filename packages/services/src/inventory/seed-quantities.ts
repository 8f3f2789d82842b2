import { seedStockLevels } from "../seed-data/index.js";

/**
 * Opening stock for the seeded book catalog. `ecommerce.catalog.product.created.v1` carries no quantity (stock is
 * inventory's fact, not the product's), so inventory creates each level empty and then restocks it from the
 * catalog's seed table, matched by the ISBN the event does carry. That table is seed data shipped beside the
 * catalog, not the catalog's store: reading it crosses no store boundary.
 */

/** Copies to put on hand for a newly announced product; 0 for any product the seed table does not list. */
export type SeedQuantities = (product: { readonly productId: string; readonly isbn: string }) => number;

/** The seed table as a lookup by ISBN, built on first use. */
export function createSeedQuantities(
  levels: () => readonly { readonly isbn: string; readonly quantity: number }[] = seedStockLevels,
): SeedQuantities {
  let byIsbn: Map<string, number> | undefined;
  return (product) => {
    byIsbn ??= new Map(levels().map((level) => [level.isbn, level.quantity]));
    return byIsbn.get(product.isbn) ?? 0;
  };
}
