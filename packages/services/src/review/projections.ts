import type { Transaction } from "kysely";
import { defineProjection } from "../platform/index.js";
import type { ReviewDatabase } from "./store.js";

type StarColumn = "stars_1" | "stars_2" | "stars_3" | "stars_4" | "stars_5";

/**
 * The `verified_purchase` projection of contexts.yaml: which products each customer paid for, and which of those
 * orders were delivered or canceled. A paid order that was not canceled lets its customer review its books; a
 * delivered one marks the review a verified purchase.
 */
export const purchaseProjection = defineProjection<ReviewDatabase>({
  name: "verified_purchase",
  tables: ["review_purchases"],
  handlers: {
    "ecommerce.order.order.paid.v1": async (message, trx) => {
      const { orderId, customerId, items, paidAt } = message.payload;
      await trx
        .insertInto("review_purchases")
        .values(
          items.map((item) => ({
            order_id: orderId,
            product_id: item.productId,
            customer_id: customerId,
            paid_at: paidAt,
            delivered_at: null,
            canceled_at: null,
          })),
        )
        .onConflict((conflict) => conflict.columns(["order_id", "product_id"]).doUpdateSet({ paid_at: paidAt }))
        .execute();
    },
    "ecommerce.order.order.canceled.v1": async (message, trx) => {
      await trx
        .updateTable("review_purchases")
        .set({ canceled_at: message.payload.canceledAt })
        .where("order_id", "=", message.payload.orderId)
        .execute();
    },
    "ecommerce.order.order.delivered.v1": async (message, trx) => {
      const { orderId, customerId, items, deliveredAt } = message.payload;
      await trx
        .insertInto("review_purchases")
        .values(
          items.map((item) => ({
            order_id: orderId,
            product_id: item.productId,
            customer_id: customerId,
            paid_at: null,
            delivered_at: deliveredAt,
            canceled_at: null,
          })),
        )
        .onConflict((conflict) =>
          conflict.columns(["order_id", "product_id"]).doUpdateSet({ delivered_at: deliveredAt }),
        )
        .execute();
    },
  },
});

/** Add (`sign` 1) or take away (`sign` -1) one rating of `stars` from a product's aggregate, as of `at`. */
async function countRating(
  trx: Transaction<ReviewDatabase>,
  productId: string,
  stars: number,
  sign: 1 | -1,
  at: string,
): Promise<void> {
  const row = await trx
    .selectFrom("rating_aggregates")
    .selectAll()
    .where("product_id", "=", productId)
    .executeTakeFirst();
  const column = `stars_${stars}` as StarColumn;
  const next = {
    count: (row?.count ?? 0) + sign,
    total: (row?.total ?? 0) + sign * stars,
    stars_1: row?.stars_1 ?? 0,
    stars_2: row?.stars_2 ?? 0,
    stars_3: row?.stars_3 ?? 0,
    stars_4: row?.stars_4 ?? 0,
    stars_5: row?.stars_5 ?? 0,
    updated_at: at,
  };
  next[column] += sign;
  // Integer sums, so the mean never drifts with the order reviews come and go in.
  const average = next.count > 0 ? Math.round((next.total / next.count) * 100) / 100 : null;
  await trx
    .insertInto("rating_aggregates")
    .values({ product_id: productId, ...next, average })
    .onConflict((conflict) => conflict.column("product_id").doUpdateSet({ ...next, average }))
    .execute();
}

/**
 * The `rating_aggregate` projection of contexts.yaml: count, star distribution and mean of each product's published
 * reviews, from the review context's own published events and the rejections of reviews that had been published.
 */
export const ratingAggregateProjection = defineProjection<ReviewDatabase>({
  name: "rating_aggregate",
  tables: ["rating_aggregates"],
  handlers: {
    "ecommerce.review.review.published.v1": (message, trx) =>
      countRating(trx, message.payload.productId, message.payload.rating, 1, message.payload.publishedAt),
    "ecommerce.review.review.rejected.v1": async (message, trx) => {
      if (!message.payload.wasPublished) return;
      await countRating(trx, message.payload.productId, message.payload.rating, -1, message.payload.rejectedAt);
    },
  },
});
