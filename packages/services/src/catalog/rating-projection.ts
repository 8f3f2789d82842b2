import type { MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { defineProjection } from "../platform/index.js";
import type { CatalogDatabase } from "./store.js";

/**
 * Keep the rating shown on products from the review context's rating.updated events. Each event carries the whole
 * aggregate, so the newest one wins; an older one delivered late (`updatedAt` earlier than the stored one) changes
 * nothing. The runtime delivers each event once: the subscriber's cursor moves past it in the same transaction.
 */
export async function projectRating(
  message: MessageOf<"ecommerce.review.rating.updated.v1">,
  trx: Transaction<CatalogDatabase>,
): Promise<void> {
  const { productId, average, count, updatedAt } = message.payload;
  await trx
    .insertInto("product_ratings")
    .values({ product_id: productId, average, count, updated_at: updatedAt })
    .onConflict((conflict) =>
      conflict
        .column("product_id")
        .doUpdateSet({ average, count, updated_at: updatedAt })
        .where("product_ratings.updated_at", "<=", updatedAt),
    )
    .execute();
}

/** The `product_rating` projection of contexts.yaml: the rating shown on products, kept from rating.updated. */
export const ratingProjection = defineProjection<CatalogDatabase>({
  name: "product_rating",
  tables: ["product_ratings"],
  handlers: { "ecommerce.review.rating.updated.v1": projectRating },
});
