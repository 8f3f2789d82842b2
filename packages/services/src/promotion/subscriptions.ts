import type { ContextParts, ContextRuntime } from "../platform/index.js";
import type { PromotionDatabase } from "./store.js";

/**
 * What promotion does with the events it hears: an order's payment redeems the promotions it used (usage counts
 * go up, `promotion.applied` goes out); its cancellation gives the uses back. Each runs in the transaction that
 * moves promotion's cursor past the event, so nothing is counted twice: a crash undoes both, and an event the
 * cursor has passed is not delivered again.
 */
export function createPromotionSubscriptions(
  runtime: ContextRuntime<PromotionDatabase>,
): NonNullable<ContextParts<PromotionDatabase>["subscriptions"]> {
  return {
    async "ecommerce.order.order.paid.v1"(message, trx) {
      const order = message.payload;
      for (const applied of order.appliedPromotions) {
        const promotion = await trx
          .selectFrom("promotions")
          .select(["promotion_id", "usage_count"])
          .where("promotion_id", "=", applied.promotionId)
          .executeTakeFirst();
        // A promotion this store never had cannot be counted; the order keeps its discount regardless.
        if (!promotion) {
          runtime.log.warn("order.paid names an unknown promotion", {
            orderId: order.orderId,
            promotionId: applied.promotionId,
          });
          continue;
        }
        const code = applied.couponCode ?? order.couponCode;
        const coupon =
          code === undefined
            ? undefined
            : await trx
                .selectFrom("coupons")
                .select(["code", "usage_count"])
                .where("code", "=", code.toUpperCase())
                .where("promotion_id", "=", applied.promotionId)
                .executeTakeFirst();
        const inserted = await trx
          .insertInto("redemptions")
          .values({
            order_id: order.orderId,
            promotion_id: applied.promotionId,
            customer_id: order.customerId,
            coupon_code: coupon?.code ?? null,
            discount_amount: applied.discount.amount,
            currency: applied.discount.currency,
            redeemed_at: order.paidAt,
            released_at: null,
          })
          .onConflict((conflict) => conflict.columns(["order_id", "promotion_id"]).doNothing())
          .executeTakeFirst();
        if (inserted.numInsertedOrUpdatedRows === 0n) continue;
        await trx
          .updateTable("promotions")
          .set((eb) => ({ usage_count: eb("usage_count", "+", 1) }))
          .where("promotion_id", "=", applied.promotionId)
          .execute();
        if (coupon)
          await trx
            .updateTable("coupons")
            .set((eb) => ({ usage_count: eb("usage_count", "+", 1) }))
            .where("code", "=", coupon.code)
            .execute();
        await runtime.outbox.publish(
          trx,
          "ecommerce.promotion.promotion.applied.v1",
          {
            promotionId: applied.promotionId,
            ...(coupon ? { couponCode: coupon.code, couponUsageCount: coupon.usage_count + 1 } : {}),
            orderId: order.orderId,
            customerId: order.customerId,
            discount: applied.discount,
            promotionUsageCount: promotion.usage_count + 1,
            appliedAt: runtime.clock.now().toISOString(),
          },
          { partitionKey: applied.promotionId, correlationId: message.correlationId, causationId: message.eventId },
        );
      }
    },

    async "ecommerce.order.order.canceled.v1"(message, trx) {
      const redemptions = await trx
        .selectFrom("redemptions")
        .selectAll()
        .where("order_id", "=", message.payload.orderId)
        .where("released_at", "is", null)
        .execute();
      for (const redemption of redemptions) {
        await trx
          .updateTable("redemptions")
          .set({ released_at: message.payload.canceledAt })
          .where("order_id", "=", redemption.order_id)
          .where("promotion_id", "=", redemption.promotion_id)
          .execute();
        await trx
          .updateTable("promotions")
          .set((eb) => ({ usage_count: eb("usage_count", "-", 1) }))
          .where("promotion_id", "=", redemption.promotion_id)
          .where("usage_count", ">", 0)
          .execute();
        if (redemption.coupon_code !== null)
          await trx
            .updateTable("coupons")
            .set((eb) => ({ usage_count: eb("usage_count", "-", 1) }))
            .where("code", "=", redemption.coupon_code)
            .where("usage_count", ">", 0)
            .execute();
      }
    },
  };
}
