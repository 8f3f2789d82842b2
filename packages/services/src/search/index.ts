import { graphql } from "@ecom/sdk";
import { defineContext } from "../platform/index.js";
import { documentProjection } from "./document-projection.js";
import { facetProjection } from "./facet-projection.js";
import { createSearchResolvers } from "./graphql-resolvers.js";
import { inventorySnapshotProjection } from "./inventory-snapshot-projection.js";
import { migrations } from "./migrations.js";
import { createProductGraphReads } from "./product-graph-reads.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerSearchService } from "./rpc-service.js";
import type { SearchDatabase } from "./store.js";
import { trendingProjection } from "./trending-projection.js";

export type { SearchDatabase } from "./store.js";

/**
 * The search context: a read model of the catalog (with stock and ratings) in its own SQLite store with an FTS5 index,
 * built only from events, so a new store fills itself from the log and `ecom replay` rebuilds it; trending and
 * recommendations from order events and the interactions customers report (the only facts it owns). REST per
 * contracts/openapi/search.yaml; GraphQL (products with their inventory snapshot) per contracts/graphql/search.graphql.
 */
export const searchContext = defineContext<SearchDatabase>({
  name: "search",
  migrations,
  projections: [documentProjection, facetProjection, trendingProjection, inventorySnapshotProjection],
  create(runtime) {
    const reads = createProductGraphReads(runtime.db);
    return {
      rest: createRestHandlers(runtime),
      rpc: (router) => registerSearchService(router, runtime),
      graphql: { schema: graphql.search.searchGraphqlSchema, forRequest: () => createSearchResolvers(reads) },
    };
  },
});
