import type { analyticsApi } from "@ecom/sdk";
import { type ContextRuntime, type RestHandlers, requireAdmin, signedIn } from "../platform/index.js";
import { checkSummaryReader, listCustomerOrders, listDailyRevenue } from "./analytics-queries.js";
import type { AnalyticsDatabase } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;

/**
 * The analytics context's REST operations, per contracts/openapi/analytics.yaml: daily revenue is admin only; a
 * customer may read their own order summaries, an admin anyone's.
 */
export function createRestHandlers(runtime: ContextRuntime<AnalyticsDatabase>): RestHandlers<analyticsApi.operations> {
  return {
    listCustomerOrderSummaries: async ({ path, query, principal }) => {
      checkSummaryReader(signedIn(principal), path.customerId);
      return {
        status: 200,
        body: await listCustomerOrders(
          runtime.db,
          { customerId: path.customerId, status: query.status },
          { cursor: query.cursor, limit: query.limit ?? DEFAULT_PAGE_SIZE },
        ),
      };
    },

    listDailyRevenue: async ({ query, principal }) => {
      requireAdmin(principal, "Daily revenue");
      return {
        status: 200,
        body: await listDailyRevenue(
          runtime.db,
          { from: query.from, to: query.to, currency: query.currency },
          { cursor: query.cursor, limit: query.limit ?? DEFAULT_PAGE_SIZE },
        ),
      };
    },
  };
}
