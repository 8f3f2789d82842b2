import { Code, ConnectError } from "@connectrpc/connect";
import type { reviewApi } from "@ecom/sdk";
import type { catalogV1 } from "@ecom/sdk/rpc";
import type { Kysely, Transaction } from "kysely";
import { type ContextRuntime, fail, type Principal, ServiceError } from "../platform/index.js";
import { type Review, type ReviewRow, toReview, verifiedOf } from "./review-views.js";
import type { RejectionReason, ReviewDatabase } from "./store.js";

type SubmitReviewRequest = reviewApi.components["schemas"]["SubmitReviewRequest"];
type ReviewFlag = reviewApi.components["schemas"]["ReviewFlag"];
type Runtime = ContextRuntime<ReviewDatabase>;

/** A review with its verified flag, read in `db` (a transaction or the store). */
export async function loadReview(
  db: Kysely<ReviewDatabase> | Transaction<ReviewDatabase>,
  reviewId: string,
): Promise<ReviewRow | undefined> {
  return db
    .selectFrom("reviews")
    .selectAll("reviews")
    .select((eb) => verifiedOf(eb))
    .where("review_id", "=", reviewId)
    .executeTakeFirst();
}

/** The catalog's product, or 404; 503 when the catalog cannot answer. */
export async function catalogProduct(runtime: Runtime, productId: string): Promise<catalogV1.Product> {
  try {
    const { product } = await runtime.rpc.catalog.getProduct({ productId });
    if (!product) throw fail.notFound(`product ${productId}`);
    return product;
  } catch (error) {
    if (error instanceof ConnectError) {
      if (error.code === Code.NotFound) throw fail.notFound(`product ${productId}`);
      throw fail.unavailable(`The catalog could not answer (${error.message}); try again shortly.`, 1);
    }
    throw error;
  }
}

/**
 * Submit a review: the product must exist, the caller must have paid for it in an order that was not canceled
 * (422 `purchase_required` otherwise), and may review it once (409 `review_exists`). The review waits as PENDING.
 */
export async function submitReview(
  runtime: Runtime,
  caller: Principal,
  productId: string,
  body: SubmitReviewRequest,
  correlationId: string,
): Promise<Review> {
  await catalogProduct(runtime, productId);
  const { db, clock, ids, outbox } = runtime;
  const reviewId = await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom("reviews")
      .select("review_id")
      .where("product_id", "=", productId)
      .where("customer_id", "=", caller.customerId)
      .executeTakeFirst();
    if (existing)
      throw new ServiceError(
        "conflict",
        `Review ${existing.review_id} is yours for ${productId}; a customer reviews a product once.`,
        { problem: "review_exists" },
      );
    const purchase = await trx
      .selectFrom("review_purchases")
      .select(["order_id", "delivered_at"])
      .where("customer_id", "=", caller.customerId)
      .where("product_id", "=", productId)
      .where("paid_at", "is not", null)
      .where("canceled_at", "is", null)
      // A delivered purchase first: PostgreSQL sorts nulls first in a descending order, SQLite last.
      .orderBy("delivered_at", (order) => order.desc().nullsLast())
      .executeTakeFirst();
    if (!purchase)
      throw new ServiceError(
        "unprocessable",
        `Only a customer with a paid order of ${productId} (not canceled) may review it; buy it first.`,
        { problem: "purchase_required" },
      );
    const now = clock.now().toISOString();
    const id = ids.next("rev");
    await trx
      .insertInto("reviews")
      .values({
        review_id: id,
        product_id: productId,
        customer_id: caller.customerId,
        rating: body.rating,
        title: body.title,
        body: body.body,
        status: "PENDING",
        flag_count: 0,
        decision: null,
        reason: null,
        note: null,
        moderated_by: null,
        moderated_at: null,
        created_at: now,
        updated_at: now,
        published_at: null,
      })
      .execute();
    await outbox.publish(
      trx,
      "ecommerce.review.review.submitted.v1",
      {
        reviewId: id,
        productId,
        customerId: caller.customerId,
        rating: body.rating,
        title: body.title,
        body: body.body,
        verifiedPurchase: purchase.delivered_at !== null,
        submittedAt: now,
      },
      { partitionKey: productId, correlationId },
    );
    return id;
  });
  return toReview((await loadReview(db, reviewId))!);
}

/** A moderator's decision. */
export interface Decision {
  readonly decision: "approve" | "reject";
  readonly reason?: RejectionReason | undefined;
  readonly note?: string | undefined;
  readonly moderatorId: string;
}

/**
 * Approve (PENDING → PUBLISHED, `review.published`) or reject (PENDING or PUBLISHED → REJECTED, `review.rejected`)
 * a review. The decision it already has changes nothing; a rejected review is never approved again (409). The rating
 * aggregate follows from the events (see projections.ts), and `rating.updated` from that.
 */
export async function moderateReview(
  runtime: Runtime,
  reviewId: string,
  decision: Decision,
  options: { readonly correlationId: string; readonly causationId?: string | undefined },
): Promise<Review> {
  await runtime.db.transaction().execute((trx) => decide(runtime, trx, reviewId, decision, options));
  return toReview((await loadReview(runtime.db, reviewId))!);
}

/** {@link moderateReview} inside the caller's transaction (the moderate command's delivery). */
export async function decide(
  runtime: Runtime,
  trx: Transaction<ReviewDatabase>,
  reviewId: string,
  decision: Decision,
  options: { readonly correlationId: string; readonly causationId?: string | undefined },
): Promise<void> {
  const { clock, outbox } = runtime;
  {
    const review = await loadReview(trx, reviewId);
    if (!review) throw fail.notFound(`review ${reviewId}`);
    const now = clock.now().toISOString();
    const publish = {
      partitionKey: review.product_id,
      correlationId: options.correlationId,
      causationId: options.causationId,
    };
    if (decision.decision === "approve") {
      if (review.status === "PUBLISHED") return;
      if (review.status === "REJECTED")
        throw fail.conflict(
          `Review ${reviewId} was rejected (${review.reason}); a rejected review is not approved again.`,
        );
      await trx
        .updateTable("reviews")
        .set({
          status: "PUBLISHED",
          decision: "approve",
          reason: null,
          note: decision.note ?? null,
          moderated_by: decision.moderatorId,
          moderated_at: now,
          updated_at: now,
          published_at: now,
        })
        .where("review_id", "=", reviewId)
        .execute();
      await outbox.publish(
        trx,
        "ecommerce.review.review.published.v1",
        {
          reviewId,
          productId: review.product_id,
          customerId: review.customer_id,
          rating: review.rating,
          title: review.title,
          verifiedPurchase: Boolean(review.verified),
          moderatedBy: decision.moderatorId,
          publishedAt: now,
        },
        publish,
      );
      return;
    }
    if (!decision.reason) throw fail.validation("/reason", "is required with decision reject");
    if (review.status === "REJECTED") return;
    await trx
      .updateTable("reviews")
      .set({
        status: "REJECTED",
        decision: "reject",
        reason: decision.reason,
        note: decision.note ?? null,
        moderated_by: decision.moderatorId,
        moderated_at: now,
        updated_at: now,
      })
      .where("review_id", "=", reviewId)
      .execute();
    await outbox.publish(
      trx,
      "ecommerce.review.review.rejected.v1",
      {
        reviewId,
        productId: review.product_id,
        customerId: review.customer_id,
        rating: review.rating,
        reason: decision.reason,
        ...(decision.note === undefined ? {} : { note: decision.note }),
        wasPublished: review.status === "PUBLISHED",
        moderatedBy: decision.moderatorId,
        rejectedAt: now,
      },
      publish,
    );
  }
}

/**
 * Flag a published review: any signed-in customer but its author, once each (409 again). A review the caller cannot
 * see (pending, rejected) is 404.
 */
export async function flagReview(
  runtime: Runtime,
  caller: Principal,
  reviewId: string,
  body: { readonly reason: RejectionReason; readonly comment?: string | undefined },
): Promise<ReviewFlag> {
  const { db, clock } = runtime;
  return db.transaction().execute(async (trx) => {
    const review = await loadReview(trx, reviewId);
    if (review?.status !== "PUBLISHED") throw fail.notFound(`published review ${reviewId}`);
    if (review.customer_id === caller.customerId)
      throw fail.unprocessable("You wrote this review; flag other customers' reviews only.");
    const seen = await trx
      .selectFrom("review_flags")
      .select("flagged_at")
      .where("review_id", "=", reviewId)
      .where("customer_id", "=", caller.customerId)
      .executeTakeFirst();
    if (seen) throw fail.conflict(`You flagged review ${reviewId} already (${seen.flagged_at}).`);
    const now = clock.now().toISOString();
    await trx
      .insertInto("review_flags")
      .values({
        review_id: reviewId,
        customer_id: caller.customerId,
        reason: body.reason,
        comment: body.comment ?? null,
        flagged_at: now,
      })
      .execute();
    await trx
      .updateTable("reviews")
      .set({ flag_count: review.flag_count + 1, updated_at: now })
      .where("review_id", "=", reviewId)
      .execute();
    return {
      reviewId,
      customerId: caller.customerId,
      reason: body.reason,
      ...(body.comment === undefined ? {} : { comment: body.comment }),
      flagCount: review.flag_count + 1,
      flaggedAt: now,
    };
  });
}
