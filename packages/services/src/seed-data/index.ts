/**
 * The development data the simulator seeds a fresh store with: the category tree, the book catalog and each book's
 * opening stock. Not a context and no store: catalog seeds its products from it and inventory its stock levels (by
 * ISBN, which product.created carries), so neither reads the other's data.
 */
export { seedBooks } from "./books.js";
export { seedCategories } from "./categories.js";
export { type SeedStockLevel, seedStockLevels } from "./stock-levels.js";
export type { SeedBook, SeedBookFormat, SeedCategory, SeedLanguage } from "./types.js";
