import type { ContextRuntime } from "../platform/index.js";
import { createAuthors } from "./authors.js";
import { createCategories } from "./categories.js";
import { createPublishers } from "./publishers.js";
import type { CatalogDatabase } from "./store.js";

/**
 * The catalog's reference data: the category tree (kept in memory, see {@link createCategories}), authors and
 * publishers.
 */
export function createReferenceData(runtime: ContextRuntime<CatalogDatabase>) {
  return { ...createCategories(runtime), ...createAuthors(runtime), ...createPublishers(runtime) };
}

/** The reference-data operations of the catalog context. */
export type ReferenceData = ReturnType<typeof createReferenceData>;
