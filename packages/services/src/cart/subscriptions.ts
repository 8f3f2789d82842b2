import { type ContextParts, type ContextRuntime, compileQuery, type Param } from "../platform/index.js";
import { expiresAt, requiredStatus } from "./cart-rules.js";
import { OPEN } from "./cart-statements.js";
import type { CartDatabase } from "./store.js";

/**
 * What the cart does with the events it hears: the Checkout Saga's end converts the cart or hands it back OPEN;
 * catalog changes keep the prices of OPEN carts current and flag discontinued products. Each handler runs in the
 * transaction that moves cart's cursor past the event (so it is not delivered again once handled), and each update
 * is conditional on the state it expects, so a late or repeated event changes nothing.
 */
export function createCartSubscriptions(
  runtime: ContextRuntime<CartDatabase>,
): NonNullable<ContextParts<CartDatabase>["subscriptions"]> {
  // Every checkout's end: built and compiled once (see compileQuery).
  const convert = compileQuery((param: Param<{ cartId: string; checkoutId: string }>) =>
    runtime.db
      .updateTable("carts")
      .set({ status: "CONVERTED" })
      .where("cart_id", "=", param("cartId"))
      .where("checkout_id", "=", param("checkoutId"))
      .where("status", "=", requiredStatus("checkout_completed")),
  );
  return {
    async "ecommerce.order.checkout.completed.v1"(message, trx) {
      await convert.execute(trx, { cartId: message.payload.cartId, checkoutId: message.payload.checkoutId });
    },

    async "ecommerce.order.checkout.failed.v1"(message, trx) {
      const now = runtime.clock.now();
      // Items and prices stay as they were; the idle deadline restarts, since the customer was just here.
      await trx
        .updateTable("carts")
        .set({ status: "OPEN", updated_at: now.toISOString(), expires_at: expiresAt(now).toISOString() })
        .where("cart_id", "=", message.payload.cartId)
        .where("checkout_id", "=", message.payload.checkoutId)
        .where("status", "=", requiredStatus("checkout_failed"))
        .execute();
    },

    async "ecommerce.catalog.product.price_changed.v1"(message, trx) {
      const { productId, price, effectiveFrom } = message.payload;
      const asOf = new Date(effectiveFrom).toISOString();
      await trx
        .updateTable("cart_items")
        .set({ unit_price: price.amount, price_as_of: asOf })
        .where("product_id", "=", productId)
        .where("price_as_of", "<=", asOf)
        .where("cart_id", "in", (eb) =>
          eb.selectFrom("carts").select("cart_id").where("status", "=", OPEN).where("currency", "=", price.currency),
        )
        .execute();
    },

    async "ecommerce.catalog.product.discontinued.v1"(message, trx) {
      await trx
        .updateTable("cart_items")
        .set({ available: 0 })
        .where("product_id", "=", message.payload.productId)
        .where("cart_id", "in", (eb) => eb.selectFrom("carts").select("cart_id").where("status", "=", OPEN))
        .execute();
    },
  };
}
