import { defineProjection } from "../platform/index.js";
import type { SearchDatabase } from "./store.js";

/**
 * The `trending` projection of contexts.yaml: every line of every created order, with who ordered it and when (the
 * order's `createdAt`), from which trending counts units per period and recommendations find books bought together.
 */
export const trendingProjection = defineProjection<SearchDatabase>({
  name: "trending",
  tables: ["search_order_lines"],
  handlers: {
    "ecommerce.order.order.created.v1": async (message, trx) => {
      const { orderId, customerId, items, createdAt } = message.payload;
      // One row per product: an order that lists a product on two lines counts its copies together.
      const quantities = new Map<string, number>();
      for (const item of items) quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
      await trx
        .insertInto("search_order_lines")
        .values(
          [...quantities].map(([productId, quantity]) => ({
            order_id: orderId,
            product_id: productId,
            customer_id: customerId,
            quantity,
            ordered_at: createdAt,
          })),
        )
        .onConflict((conflict) => conflict.columns(["order_id", "product_id"]).doNothing())
        .execute();
    },
  },
});
