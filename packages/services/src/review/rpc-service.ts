import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { reviewV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, ServiceError } from "../platform/index.js";
import { catalogProduct } from "./review-commands.js";
import { listProductReviews, productRating } from "./review-queries.js";
import type { ReviewDatabase } from "./store.js";

const PRODUCT_ID = /^prd_[0-9A-HJKMNP-TV-Z]{26}$/;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

function productIdOf(value: string): string {
  if (!PRODUCT_ID.test(value))
    throw new ServiceError(
      "validation",
      `product_id must be a product id ("prd_" and a ULID), not ${JSON.stringify(value)}`,
    );
  return value;
}

/** ReviewService: the public reads of review.yaml (a product's rating and published reviews) over Connect. */
export function registerReviewService(router: ConnectRouter, runtime: ContextRuntime<ReviewDatabase>): void {
  const { db } = runtime;
  router.service(reviewV1.ReviewService, {
    async getProductRating(request) {
      const productId = productIdOf(request.productId);
      const product = await catalogProduct(runtime, productId);
      const asOf = product.updatedAt ? new Date(Number(product.updatedAt.seconds) * 1000) : runtime.clock.now();
      const rating = await productRating(db, productId, asOf.toISOString());
      return create(reviewV1.GetProductRatingResponseSchema, {
        rating: {
          productId,
          ...(rating.average === null ? {} : { average: rating.average }),
          count: rating.count,
          distribution: (["1", "2", "3", "4", "5"] as const).map((stars) => rating.distribution[stars]),
          updatedAt: timestampFromDate(new Date(rating.updatedAt)),
        },
      });
    },

    async listProductReviews(request) {
      const productId = productIdOf(request.productId);
      await catalogProduct(runtime, productId);
      const size = request.page?.pageSize ?? 0;
      if (size < 0 || size > MAX_PAGE_SIZE)
        throw new ServiceError("validation", `page.page_size must be 0 to ${MAX_PAGE_SIZE}, not ${size}`);
      const page = await listProductReviews(
        db,
        { productId },
        {
          limit: size === 0 ? DEFAULT_PAGE_SIZE : size,
          ...(request.page?.pageToken ? { cursor: request.page.pageToken } : {}),
        },
      );
      return create(reviewV1.ListProductReviewsResponseSchema, {
        reviews: page.items.map((review) => ({
          reviewId: review.reviewId,
          productId: review.productId,
          customerId: review.customerId,
          rating: review.rating,
          title: review.title,
          body: review.body,
          verifiedPurchase: review.verifiedPurchase,
          ...(review.publishedAt ? { publishedAt: timestampFromDate(new Date(review.publishedAt)) } : {}),
        })),
        page: {
          nextPageToken: page.page.nextCursor ?? "",
          ...(page.page.total === undefined ? {} : { totalSize: page.page.total }),
        },
      });
    },
  });
}
