import { seedBooks } from "./books.js";

/** The units one seeded book starts with, keyed by ISBN (product ids are made at seeding, so they are not known here). */
export interface SeedStockLevel {
  readonly isbn: string;
  readonly quantity: number;
}

/**
 * The opening stock of every seeded book. product.created carries no stock quantity (stock is the inventory
 * context's, not a product fact), so inventory seeds its levels from this list and matches them to products by the
 * ISBN that product.created does carry. Pure: the same list on every call.
 */
export function seedStockLevels(): SeedStockLevel[] {
  return seedBooks.map((book) => ({ isbn: book.isbn, quantity: book.stock }));
}
