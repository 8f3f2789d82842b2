import { defineContext } from "../platform/index.js";
import { migrations } from "./migrations.js";
import { createProducts } from "./products.js";
import { ratingProjection } from "./rating-projection.js";
import { createReferenceData } from "./reference-data.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerCatalogService } from "./rpc-service.js";
import { seedCatalog } from "./seed-catalog.js";
import type { CatalogDatabase } from "./store.js";

export { SEED_ACTOR_ID } from "./seed-catalog.js";
export type { CatalogDatabase } from "./store.js";

/**
 * The catalog context: books (products), the category tree, authors, publishers and SCD2 price history; the rating
 * shown on products is projected from the review context's events. REST per contracts/openapi/catalog.yaml (reads
 * public, writes admin), CatalogService per its proto, and the events of contracts/asyncapi/catalog.yaml.
 */
export const catalogContext = defineContext<CatalogDatabase>({
  name: "catalog",
  migrations,
  projections: [ratingProjection],
  create(runtime) {
    const reference = createReferenceData(runtime);
    const products = createProducts(runtime);
    return {
      rest: createRestHandlers(products, reference),
      rpc: (router) => registerCatalogService(router, runtime, reference),
      seed: () => seedCatalog(runtime, products, reference),
    };
  },
});
