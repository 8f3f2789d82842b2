import type { cartApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, signedIn } from "../platform/index.js";
import { checkOutCart } from "./cart-checkout.js";
import { cartViewOf, createCartAccess, notOpen } from "./cart-reads.js";
import { createCartStatements } from "./cart-statements.js";
import { addLine, openCart, publishItemAdded } from "./cart-writes.js";
import { currentPrices } from "./catalog-prices.js";
import type { CartDatabase } from "./store.js";

/** The cart context's REST operations (contracts/openapi/cart.yaml). */
export function createCartRestHandlers(runtime: ContextRuntime<CartDatabase>): RestHandlers<cartApi.operations> {
  const { db, clock } = runtime;
  const statements = createCartStatements(db);
  const access = createCartAccess(runtime, statements);
  const { currentCart, currentCartAndItems, changeOpenCart } = access;

  return {
    async createCart({ body, principal }) {
      const opened = await openCart(runtime, statements, signedIn(principal).customerId, body?.currency ?? "USD");
      if (!opened.created) return { status: 200, body: opened.cart };
      return { status: 201, headers: { location: `/carts/${opened.cart.cartId}` }, body: opened.cart };
    },

    async getCart({ path, principal }) {
      const { cart, items } = await currentCartAndItems(path.cartId, principal);
      return { status: 200, body: cartViewOf(cart, items) };
    },

    async addCartItem({ path, body, principal }) {
      const cart = await currentCart(path.cartId, principal);
      if (cart.status !== "OPEN") throw notOpen(cart);
      // The catalog is asked before the transaction, so the store is not held while it answers.
      const product = (await currentPrices(runtime.rpc, [body.productId], cart.currency, clock.now())).get(
        body.productId,
      )!;
      const view = await changeOpenCart(cart.cart_id, (trx, current, now) =>
        addLine(runtime, statements, trx, { cart: current, product, quantity: body.quantity, now }),
      );
      return { status: 200, body: view };
    },

    async updateCartItem({ path, body, principal }) {
      const cart = await currentCart(path.cartId, principal);
      const item = await db
        .selectFrom("cart_items")
        .selectAll()
        .where("cart_id", "=", cart.cart_id)
        .where("item_id", "=", path.itemId)
        .executeTakeFirst();
      if (!item) throw fail.notFound(`item ${path.itemId} in cart ${path.cartId}`);
      if (cart.status !== "OPEN") throw notOpen(cart);
      const product = (await currentPrices(runtime.rpc, [item.product_id], cart.currency, clock.now())).get(
        item.product_id,
      )!;
      const view = await changeOpenCart(cart.cart_id, async (trx, current) => {
        const updated = await trx
          .updateTable("cart_items")
          .set({
            quantity: body.quantity,
            unit_price: product.unitPrice,
            price_as_of: product.priceAsOf,
            title: product.title,
            available: 1,
          })
          .where("item_id", "=", item.item_id)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 0n) throw fail.notFound(`item ${path.itemId} in cart ${path.cartId}`);
        // item_added also means "its quantity raised" (contracts/asyncapi/cart.yaml).
        if (body.quantity > item.quantity) await publishItemAdded(runtime, trx, current, product, body.quantity);
        return undefined;
      });
      return { status: 200, body: view };
    },

    async removeCartItem({ path, principal }) {
      const cart = await currentCart(path.cartId, principal);
      const view = await changeOpenCart(cart.cart_id, async (trx) => {
        const removed = await trx
          .deleteFrom("cart_items")
          .where("cart_id", "=", cart.cart_id)
          .where("item_id", "=", path.itemId)
          .executeTakeFirst();
        if (removed.numDeletedRows === 0n) throw fail.notFound(`item ${path.itemId} in cart ${path.cartId}`);
        return undefined;
      });
      return { status: 200, body: view };
    },

    async checkoutCart({ path, body, principal }) {
      const accepted = await checkOutCart(runtime, statements, access, path.cartId, body, principal);
      return { status: 202, headers: { location: `/checkouts/${accepted.checkoutId}` }, body: accepted };
    },
  };
}
