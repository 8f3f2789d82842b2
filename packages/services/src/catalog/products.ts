import type { ContextRuntime } from "../platform/index.js";
import { PriceChanges } from "./price-changes.js";
import { createProductReads } from "./product-reads.js";
import { ProductWrites } from "./product-writes.js";
import type { CatalogDatabase } from "./store.js";

/**
 * The catalog's products: creation, descriptive edits, discontinuation and price changes (SCD2), each publishing
 * its event in the transaction of the change; and the reads the REST surface offers.
 */
export function createProducts(runtime: ContextRuntime<CatalogDatabase>) {
  const reads = createProductReads(runtime.db);
  const writes = new ProductWrites(runtime);
  const prices = new PriceChanges(runtime);
  return {
    ...reads,
    insertProducts: writes.insertProducts.bind(writes),
    create: writes.create.bind(writes),
    update: writes.update.bind(writes),
    discontinue: writes.discontinue.bind(writes),
    changePrice: prices.changePrice.bind(prices),
  };
}

/** The product operations of the catalog context. */
export type Products = ReturnType<typeof createProducts>;
