import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { reviewApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin, signedIn } from "../platform/index.js";
import { catalogProduct, flagReview, loadReview, moderateReview, submitReview } from "./review-commands.js";
import { listProductReviews, listReviews, productRating } from "./review-queries.js";
import { toReview } from "./review-views.js";
import type { ReviewDatabase } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;

/**
 * The review context's REST operations, per contracts/openapi/review.yaml: published reviews and ratings are public;
 * submitting and flagging need a customer; the queue and moderation need an admin.
 */
export function createRestHandlers(runtime: ContextRuntime<ReviewDatabase>): RestHandlers<reviewApi.operations> {
  const { db } = runtime;
  const page = (query: { cursor?: string; limit?: number }) => ({
    cursor: query.cursor,
    limit: query.limit ?? DEFAULT_PAGE_SIZE,
  });
  return {
    submitReview: async ({ path, body, principal, correlationId }) => {
      const review = await submitReview(runtime, signedIn(principal), path.productId, body, correlationId);
      return { status: 201, body: review, headers: { location: `/reviews/${review.reviewId}` } };
    },

    listProductReviews: async ({ path, query }) => {
      await catalogProduct(runtime, path.productId);
      return {
        status: 200,
        body: await listProductReviews(
          db,
          { productId: path.productId, sort: query.sort, rating: query.rating },
          page(query),
        ),
      };
    },

    getProductRating: async ({ path }) => {
      const product = await catalogProduct(runtime, path.productId);
      const asOf = product.updatedAt
        ? timestampDate(product.updatedAt).toISOString()
        : runtime.clock.now().toISOString();
      return { status: 200, body: await productRating(db, path.productId, asOf) };
    },

    listReviews: async ({ query, principal }) => {
      requireAdmin(principal, "The moderation queue");
      return {
        status: 200,
        body: await listReviews(
          db,
          { status: query.status, flagged: query.flagged, productId: query.productId },
          page(query),
        ),
      };
    },

    getReview: async ({ path, principal }) => {
      const row = await loadReview(db, path.reviewId);
      // Unpublished reviews are their author's and the moderators' only; to anyone else they do not exist.
      const visible =
        row && (row.status === "PUBLISHED" || principal?.role === "admin" || principal?.customerId === row.customer_id);
      if (!visible) throw fail.notFound(`review ${path.reviewId}`);
      return { status: 200, body: toReview(row) };
    },

    moderateReview: async ({ path, body, principal, correlationId }) => {
      const { customerId } = requireAdmin(principal, "Moderation");
      return {
        status: 200,
        body: await moderateReview(
          runtime,
          path.reviewId,
          { decision: body.decision, reason: body.reason, note: body.note, moderatorId: customerId },
          { correlationId },
        ),
      };
    },

    flagReview: async ({ path, body, principal }) => ({
      status: 201,
      body: await flagReview(runtime, signedIn(principal), path.reviewId, body),
    }),
  };
}
