import type { Kysely, Transaction } from "kysely";
import { type CompiledStatement, defineProjection, type Param, projectionStatement } from "../platform/index.js";
import type { ReviewDatabase } from "./store.js";

type PurchaseValues = Record<string, string>;

/**
 * The insert of a paid order's `count` lines (a line already there takes the payment's time again), built and compiled
 * once per line count (see projectionStatement): an order lists a handful of products.
 */
const purchasesByCount = new Map<number, (db: Kysely<ReviewDatabase>) => CompiledStatement<PurchaseValues, unknown>>();
function insertPurchases(count: number) {
  let insert = purchasesByCount.get(count);
  if (!insert) {
    insert = projectionStatement((db: Kysely<ReviewDatabase>, param: Param<PurchaseValues>) =>
      db
        .insertInto("review_purchases")
        .values(
          Array.from({ length: count }, (_, index) => ({
            order_id: param("orderId"),
            product_id: param(`${index}.productId`),
            customer_id: param("customerId"),
            paid_at: param("paidAt"),
            delivered_at: null,
            canceled_at: null,
          })),
        )
        .onConflict((conflict) =>
          conflict.columns(["order_id", "product_id"]).doUpdateSet({ paid_at: param("paidAt") }),
        ),
    );
    if (purchasesByCount.size < 32) purchasesByCount.set(count, insert);
  }
  return insert;
}

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
      const values: PurchaseValues = { orderId, customerId, paidAt };
      items.forEach((item, index) => {
        values[`${index}.productId`] = item.productId;
      });
      await insertPurchases(items.length)(trx).execute(trx, values);
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
