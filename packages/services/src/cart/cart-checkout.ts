import type { cartApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, fail, type Principal } from "../platform/index.js";
import type { CartAccess, CartRow } from "./cart-reads.js";
import { notOpen } from "./cart-reads.js";
import { totals } from "./cart-rules.js";
import type { CartStatements } from "./cart-statements.js";
import { currentPrices, type PricedProduct } from "./catalog-prices.js";
import type { CartDatabase } from "./store.js";

type CheckoutRequest = cartApi.components["schemas"]["CheckoutRequest"];
type CheckoutAccepted = cartApi.components["schemas"]["CheckoutAccepted"];

/**
 * Check out the caller's OPEN cart: freeze it under a new checkout id and publish `cart.checked_out` at the catalog's
 * prices now, which starts the Checkout Saga (the checkout id is its correlation id).
 */
export async function checkOutCart(
  runtime: ContextRuntime<CartDatabase>,
  statements: CartStatements,
  access: CartAccess,
  cartId: string,
  body: CheckoutRequest,
  principal: Principal | undefined,
): Promise<CheckoutAccepted> {
  const { cart, items: held } = await access.currentCartAndItems(cartId, principal);
  if (cart.status !== "OPEN") throw notOpen(cart);
  if (held.length === 0) throw fail.conflict(`Cart ${cart.cart_id} is empty; add an item before checking out.`);
  // The saga charges what the event says, so the prices are read from the catalog now rather than trusted.
  const prices = await currentPrices(
    runtime.rpc,
    held.map((item) => item.product_id),
    cart.currency,
    runtime.clock.now(),
  );
  const checkoutId = runtime.ids.next("chk");
  await runtime.db
    .transaction()
    .execute((trx) => freezeAndPublish(runtime, statements, trx, { cart, checkoutId, prices, body }));
  return { checkoutId, cartId: cart.cart_id, correlationId: checkoutId, status: "CHECKED_OUT" };
}

/** In `trx`: freeze the cart (still OPEN, still holding items), reprice what changed, publish `cart.checked_out`. */
async function freezeAndPublish(
  runtime: ContextRuntime<CartDatabase>,
  statements: CartStatements,
  trx: Transaction<CartDatabase>,
  checkout: {
    readonly cart: CartRow;
    readonly checkoutId: string;
    readonly prices: ReadonlyMap<string, PricedProduct>;
    readonly body: CheckoutRequest;
  },
): Promise<void> {
  const { cart, checkoutId, prices, body } = checkout;
  const now = runtime.clock.now().toISOString();
  const frozen = await statements.freezeCart.executeChanges(trx, {
    cartId: cart.cart_id,
    checkoutId,
    updatedAt: now,
  });
  if (frozen === 0n) throw notOpen((await statements.cartById.executeTakeFirst(trx, { cartId: cart.cart_id }))!);
  const items = await statements.itemsOf.execute(trx, { cartId: cart.cart_id });
  if (items.length === 0) throw fail.conflict(`Cart ${cart.cart_id} is empty; add an item before checking out.`);
  const lines = items.map((item) => {
    // An item added between the price read and this transaction was priced when it was added.
    const price = prices.get(item.product_id);
    return { item, unitPrice: price?.unitPrice ?? item.unit_price, asOf: price?.priceAsOf ?? item.price_as_of };
  });
  for (const line of lines)
    if (line.unitPrice !== line.item.unit_price || line.item.available !== 1)
      await statements.repriceItem.execute(trx, {
        itemId: line.item.item_id,
        unitPrice: line.unitPrice,
        priceAsOf: line.asOf,
      });
  const money = (amount: number) => ({ amount, currency: cart.currency });
  const { subtotal } = totals(lines.map((line) => ({ quantity: line.item.quantity, unitPrice: line.unitPrice })));
  await runtime.outbox.publish(
    trx,
    "ecommerce.cart.cart.checked_out.v1",
    {
      checkoutId,
      cartId: cart.cart_id,
      customerId: cart.customer_id,
      currency: cart.currency,
      items: lines.map((line) => ({
        productId: line.item.product_id,
        quantity: line.item.quantity,
        unitPrice: money(line.unitPrice),
      })),
      subtotal: money(subtotal),
      shippingAddressId: body.shippingAddressId,
      ...(body.billingAddressId === undefined ? {} : { billingAddressId: body.billingAddressId }),
      ...(body.couponCode === undefined ? {} : { couponCode: body.couponCode }),
      paymentToken: body.paymentToken,
    },
    { partitionKey: cart.cart_id, correlationId: checkoutId },
  );
}
