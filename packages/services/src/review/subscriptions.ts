import type { MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextParts, type ContextRuntime, isServiceError } from "../platform/index.js";
import { decide } from "./review-commands.js";
import { ratingOf } from "./review-queries.js";
import type { ReviewDatabase } from "./store.js";

type Runtime = ContextRuntime<ReviewDatabase>;

/**
 * Announce a product's rating after the rating projection applied a published or rejected review (it runs first, in
 * this same transaction): `rating.updated` carries the whole aggregate, so consumers keep the newest. Replay rebuilds
 * the aggregate without this step, so nothing is announced twice.
 */
async function announceRating(
  runtime: Runtime,
  message: MessageOf<"ecommerce.review.review.published.v1"> | MessageOf<"ecommerce.review.review.rejected.v1">,
  trx: Transaction<ReviewDatabase>,
): Promise<void> {
  const row = await trx
    .selectFrom("rating_aggregates")
    .selectAll()
    .where("product_id", "=", message.payload.productId)
    .executeTakeFirst();
  if (!row) return;
  await runtime.outbox.publish(trx, "ecommerce.review.rating.updated.v1", ratingOf(row), {
    partitionKey: row.product_id,
    correlationId: message.correlationId,
    causationId: message.eventId,
  });
}

/**
 * What review reacts to beyond its projections: its own published and rejected events (to announce the rating), and
 * the `review.moderate` command, which decides like `POST /reviews/{id}/moderation`.
 */
export function createSubscriptions(runtime: Runtime): NonNullable<ContextParts<ReviewDatabase>["subscriptions"]> {
  return {
    "ecommerce.review.review.published.v1": (message, trx) => announceRating(runtime, message, trx),
    "ecommerce.review.review.rejected.v1": async (message, trx) => {
      if (message.payload.wasPublished) await announceRating(runtime, message, trx);
    },
    "ecommerce.review.review.moderate.v1": async (message, trx) => {
      const { reviewId, decision, reason, note, moderatorId } = message.payload;
      try {
        await decide(
          runtime,
          trx,
          reviewId,
          { decision, reason, note, moderatorId },
          { correlationId: message.correlationId, causationId: message.eventId },
        );
      } catch (error) {
        // A command that names no review, or asks what the review's state forbids, is refused, not retried.
        if (!isServiceError(error)) throw error;
        runtime.log.warn("review refused a moderate command", { reviewId, decision, why: error.message });
      }
    },
  };
}
