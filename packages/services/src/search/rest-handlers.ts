import type { searchApi } from "@ecom/sdk";
import type { ContextRuntime, RestHandlers } from "../platform/index.js";
import { signedIn } from "../platform/index.js";
import { searchProducts } from "./product-search.js";
import { listRecommendations, listTrending } from "./recommendations.js";
import type { SearchDatabase } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;

/**
 * The search context's REST operations, per contracts/openapi/search.yaml: search and trending are public,
 * recommendations and feedback are the calling customer's own.
 */
export function createRestHandlers(runtime: ContextRuntime<SearchDatabase>): RestHandlers<searchApi.operations> {
  const { db, clock, ids } = runtime;
  return {
    searchProducts: async ({ query }) => ({
      status: 200,
      body: await searchProducts(
        db,
        {
          q: query.q,
          category: query.category,
          author: query.author,
          format: query.format,
          minPrice: query.minPrice,
          maxPrice: query.maxPrice,
          inStock: query.inStock,
          sort: query.sort,
        },
        { cursor: query.cursor, limit: query.limit ?? DEFAULT_PAGE_SIZE },
      ),
    }),

    listTrendingProducts: async ({ query }) => ({
      status: 200,
      body: await listTrending(
        db,
        { period: query.period, category: query.category, now: clock.now() },
        { cursor: query.cursor, limit: query.limit ?? DEFAULT_PAGE_SIZE },
      ),
    }),

    listRecommendations: async ({ query, principal }) => {
      const { customerId } = signedIn(principal);
      return {
        status: 200,
        body: await listRecommendations(
          db,
          { customerId, category: query.category, now: clock.now() },
          { cursor: query.cursor, limit: query.limit ?? DEFAULT_PAGE_SIZE },
        ),
      };
    },

    recordRecommendationFeedback: async ({ body, principal }) => {
      const { customerId } = signedIn(principal);
      const recordedAt = clock.now().toISOString();
      await db
        .insertInto("search_interactions")
        .values({
          interaction_id: ids.next("int"),
          customer_id: customerId,
          product_id: body.productId,
          interaction: body.interaction,
          source: body.source ?? null,
          search_query: body.searchQuery ?? null,
          occurred_at: body.occurredAt ?? recordedAt,
          recorded_at: recordedAt,
        })
        .execute();
      return {
        status: 202,
        body: { customerId, productId: body.productId, interaction: body.interaction, recordedAt },
      };
    },
  };
}
