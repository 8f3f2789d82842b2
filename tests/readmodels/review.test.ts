import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  adminOf,
  checkout,
  clientOf,
  deliver,
  quiet,
  registerShopper,
  type Shopper,
  someProducts,
} from "./scenario.js";

let platform: Platform;
let admin: Shopper;
let author: Shopper;
let other: Shopper;
let buyer: Shopper;
let product: string | undefined;
let buyerOrder: string;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 13, log: quiet });
  admin = await adminOf(platform);
  [product] = await someProducts(platform, 1);
  author = await registerShopper(platform, 1);
  other = await registerShopper(platform, 2);
  buyer = await registerShopper(platform, 3);
  await checkout(platform, author, { [product!]: 1 });
  buyerOrder = await checkout(platform, buyer, { [product!]: 1 });
});
afterAll(() => platform.close());

const review = { rating: 5, title: "Still the best", body: "Short, precise and full of exercises." };

async function ratingOf(productId: string) {
  const { data } = await clientOf(platform).review.getProductRating({ params: { path: { productId } } });
  return data!;
}

describe("reviews, moderation and the rating aggregate", () => {
  // One review's life in order (each step needs the one before), so one test of scoped steps.
  it("go from submission through moderation, verified purchases, sorting and flags to a takedown", async () => {
    {
      // It lets only a customer with a paid order of the book review it, once.
      const refused = await other.client.review.submitReview({
        params: { path: { productId: product! } },
        body: review,
      });
      expect(refused.response.status).toBe(422);
      expect(refused.error).toMatchObject({ code: "purchase_required" });

      const { data, response } = await author.client.review.submitReview({
        params: { path: { productId: product! } },
        body: review,
      });
      expect(response.status).toBe(201);
      expect(data).toMatchObject({
        status: "PENDING",
        verifiedPurchase: false,
        flagCount: 0,
        customerId: author.customerId,
      });

      const again = await author.client.review.submitReview({
        params: { path: { productId: product! } },
        body: review,
      });
      expect(again.response.status).toBe(409);
      expect(again.error).toMatchObject({ code: "review_exists" });

      const unknown = await author.client.review.submitReview({
        params: { path: { productId: "prd_00000000000000000000000000" } },
        body: review,
      });
      expect(unknown.response.status).toBe(404);
    }

    {
      // It shows a pending review to its author and admins only, and queues it for moderators.
      const { data: queue } = await admin.client.review.listReviews({ params: { query: { status: "PENDING" } } });
      const pending = queue!.items.find((item) => item.customerId === author.customerId)!;
      const path = { params: { path: { reviewId: pending.reviewId } } };
      expect((await clientOf(platform).review.getReview(path)).response.status).toBe(404);
      expect((await other.client.review.getReview(path)).response.status).toBe(404);
      expect((await author.client.review.getReview(path)).data?.status).toBe("PENDING");
      expect((await admin.client.review.getReview(path)).data?.status).toBe("PENDING");
      expect((await author.client.review.listReviews({ params: { query: {} } })).response.status).toBe(403);
    }

    {
      // It publishes on approval and counts the review in the rating, which catalog and search then show.
      expect(await ratingOf(product!)).toMatchObject({ count: 0, average: null });
      const { data: queue } = await admin.client.review.listReviews({ params: { query: { productId: product! } } });
      const reviewId = queue!.items[0]!.reviewId;
      const { data: published } = await admin.client.review.moderateReview({
        params: { path: { reviewId } },
        body: { decision: "approve" },
      });
      expect(published).toMatchObject({
        status: "PUBLISHED",
        moderation: { decision: "approve", moderatedBy: admin.customerId },
      });
      await platform.settle();
      expect(await ratingOf(product!)).toMatchObject({
        count: 1,
        average: 5,
        distribution: { "1": 0, "2": 0, "3": 0, "4": 0, "5": 1 },
      });
      const { data: shown } = await clientOf(platform).catalog.getProduct({
        params: { path: { productId: product! } },
      });
      expect(shown!.rating).toMatchObject({ average: 5, count: 1 });
      const { data: list } = await clientOf(platform).review.listProductReviews({
        params: { path: { productId: product! } },
      });
      expect(list!.items.map((item) => item.reviewId)).toEqual([reviewId]);

      // Approving again changes nothing.
      const again = await admin.client.review.moderateReview({
        params: { path: { reviewId } },
        body: { decision: "approve" },
      });
      expect(again.data?.status).toBe("PUBLISHED");
    }

    {
      // It marks a delivered buyer's review as a verified purchase and sorts by rating.
      await deliver(platform, admin, buyerOrder);
      const { data: written } = await buyer.client.review.submitReview({
        params: { path: { productId: product! } },
        body: { ...review, rating: 2, title: "Not for me" },
      });
      expect(written!.verifiedPurchase).toBe(true);
      await admin.client.review.moderateReview({
        params: { path: { reviewId: written!.reviewId } },
        body: { decision: "approve" },
      });
      await platform.settle();
      expect(await ratingOf(product!)).toMatchObject({ count: 2, average: 3.5 });
      const anonymous = clientOf(platform).review;
      const lowest = await anonymous.listProductReviews({
        params: { path: { productId: product! }, query: { sort: "lowest_rating" } },
      });
      expect(lowest.data!.items.map((item) => item.rating)).toEqual([2, 5]);
      const verified = await anonymous.listProductReviews({
        params: { path: { productId: product! }, query: { sort: "verified_first", limit: 1 } },
      });
      expect(verified.data!.items[0]!.verifiedPurchase).toBe(true);
      const next = await anonymous.listProductReviews({
        params: {
          path: { productId: product! },
          query: { sort: "verified_first", limit: 1, cursor: verified.data!.page.nextCursor! },
        },
      });
      expect(next.data!.items[0]!.verifiedPurchase).toBe(false);
      expect(next.data!.page.nextCursor).toBeUndefined();
      const fives = await anonymous.listProductReviews({
        params: { path: { productId: product! }, query: { rating: 5 } },
      });
      expect(fives.data!.items.map((item) => item.rating)).toEqual([5]);
    }

    {
      // It takes flags from other customers once each, and takes a flagged review down on rejection.
      const { data: queue } = await admin.client.review.listReviews({
        params: { query: { productId: product!, status: "PUBLISHED" } },
      });
      const target = queue!.items.find((item) => item.customerId === author.customerId)!;
      const path = { params: { path: { reviewId: target.reviewId } } };
      const flagged = await other.client.review.flagReview({ ...path, body: { reason: "spam", comment: "Ads." } });
      expect(flagged.response.status).toBe(201);
      expect(flagged.data).toMatchObject({ flagCount: 1, customerId: other.customerId });
      expect((await other.client.review.flagReview({ ...path, body: { reason: "spam" } })).response.status).toBe(409);
      expect((await author.client.review.flagReview({ ...path, body: { reason: "spam" } })).response.status).toBe(422);
      const { data: flaggedQueue } = await admin.client.review.listReviews({ params: { query: { flagged: true } } });
      expect(flaggedQueue!.items.map((item) => item.reviewId)).toEqual([target.reviewId]);

      const missingReason = await admin.client.review.moderateReview({
        ...path,
        body: { decision: "reject" } as never,
      });
      expect(missingReason.response.status).toBe(400);
      const { data: rejected } = await admin.client.review.moderateReview({
        ...path,
        body: { decision: "reject", reason: "spam", note: "Advertising." },
      });
      expect(rejected).toMatchObject({ status: "REJECTED", moderation: { decision: "reject", reason: "spam" } });
      await platform.settle();
      expect(await ratingOf(product!)).toMatchObject({ count: 1, average: 2 });
      const { data: shown } = await clientOf(platform).search.searchProducts({
        params: { query: { q: await isbnOf(product!) } },
      });
      expect(shown!.items[0]!.product.rating).toEqual({ average: 2, count: 1 });
      const reapprove = await admin.client.review.moderateReview({ ...path, body: { decision: "approve" } });
      expect(reapprove.response.status).toBe(409);

      const updates = await platform.eventLog.read({
        afterSeq: 0,
        types: ["ecommerce.review.rating.updated.v1"],
        limit: 100,
      });
      expect(
        updates.map((event) => (JSON.parse(event.envelope) as { payload: { count: number } }).payload.count),
      ).toEqual([1, 2, 1]);
    }
  });
});

async function isbnOf(productId: string): Promise<string> {
  const { data } = await clientOf(platform).catalog.getProduct({ params: { path: { productId } } });
  return data!.isbn;
}
