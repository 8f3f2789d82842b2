// The seed data the simulator loads on first start: the category tree and the book catalog.
export { seedBooks } from "./books.js";
export { seedCategories } from "./categories.js";
export type { SeedBook, SeedBookFormat, SeedCategory, SeedLanguage } from "./types.js";
