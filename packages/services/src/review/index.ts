import { defineContext } from "../platform/index.js";
import { migrations } from "./migrations.js";
import { purchaseProjection, ratingAggregateProjection } from "./projections.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerReviewService } from "./rpc-service.js";
import type { ReviewDatabase } from "./store.js";
import { createSubscriptions } from "./subscriptions.js";

export type { ReviewDatabase } from "./store.js";

/**
 * The review context: reviews, their moderation and flags (its facts); which customers paid for and received which
 * books, and each product's rating aggregate (read models, rebuilt by `ecom replay`). A published or taken-down review
 * changes the aggregate, which is announced as `review.rating.updated` for catalog and search. REST per
 * contracts/openapi/review.yaml.
 */
export const reviewContext = defineContext<ReviewDatabase>({
  name: "review",
  migrations,
  projections: [purchaseProjection, ratingAggregateProjection],
  create(runtime) {
    return {
      rest: createRestHandlers(runtime),
      rpc: (router) => registerReviewService(router, runtime),
      subscriptions: createSubscriptions(runtime),
    };
  },
});
