import { defineContext } from "../platform/index.js";
import { migrations } from "./migrations.js";
import { dailyRevenueProjection, ordersByCustomerProjection } from "./order-projection.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerAnalyticsService } from "./rpc-service.js";
import type { AnalyticsDatabase } from "./store.js";

export type { AnalyticsDatabase } from "./store.js";

/**
 * The analytics context: read models only (orders by customer, daily revenue), built from order and payment events
 * and nothing else, so `ecom replay` rebuilds them exactly. REST per contracts/openapi/analytics.yaml.
 */
export const analyticsContext = defineContext<AnalyticsDatabase>({
  name: "analytics",
  readModel: true,
  migrations,
  projections: [ordersByCustomerProjection, dailyRevenueProjection],
  create(runtime) {
    return { rest: createRestHandlers(runtime), rpc: (router) => registerAnalyticsService(router, runtime) };
  },
});
