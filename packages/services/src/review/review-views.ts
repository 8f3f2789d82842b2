import type { reviewApi } from "@ecom/sdk";
import { type ExpressionBuilder, sql } from "kysely";
import type { ReviewDatabase, ReviewTable } from "./store.js";

/** The contract's Review. */
export type Review = reviewApi.components["schemas"]["Review"];

/** A review row with whether its author has a delivered order of the book. */
export type ReviewRow = ReviewTable & { readonly verified: number };

/** 1 when the review's author has a delivered order containing its product, else 0. */
export function verifiedOf(eb: ExpressionBuilder<ReviewDatabase, "reviews">) {
  // A CASE, not the bare EXISTS: PostgreSQL's is a boolean, SQLite's a number; this is 1 or 0 on both.
  return eb
    .case()
    .when(
      eb.exists(
        eb
          .selectFrom("review_purchases")
          .select(sql.lit(1).as("one"))
          .whereRef("review_purchases.customer_id", "=", "reviews.customer_id")
          .whereRef("review_purchases.product_id", "=", "reviews.product_id")
          .where("review_purchases.delivered_at", "is not", null),
      ),
    )
    .then(sql.lit(1))
    .else(sql.lit(0))
    .end()
    .$castTo<number>()
    .as("verified");
}

/** A row as the contract's Review. */
export function toReview(row: ReviewRow): Review {
  return {
    reviewId: row.review_id,
    productId: row.product_id,
    customerId: row.customer_id,
    rating: row.rating,
    title: row.title,
    body: row.body,
    status: row.status,
    verifiedPurchase: Boolean(row.verified),
    flagCount: row.flag_count,
    ...(row.decision && row.moderated_by && row.moderated_at
      ? {
          moderation: {
            decision: row.decision,
            ...(row.reason ? { reason: row.reason } : {}),
            ...(row.note ? { note: row.note } : {}),
            moderatedBy: row.moderated_by,
            moderatedAt: row.moderated_at,
          },
        }
      : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.published_at ? { publishedAt: row.published_at } : {}),
  };
}
