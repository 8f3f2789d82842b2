import type { cartApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, fail, lockForTransaction } from "../platform/index.js";
import { expireCart } from "./cart-expiry.js";
import { type CartItemRow, type CartRow, cartView, cartViewOf } from "./cart-reads.js";
import { checkAdd, expiresAt } from "./cart-rules.js";
import type { CartStatements } from "./cart-statements.js";
import type { PricedProduct } from "./catalog-prices.js";
import type { CartDatabase } from "./store.js";

type Cart = cartApi.components["schemas"]["Cart"];

/**
 * The customer's OPEN cart (`created: false`), or a new one in `currency`. Two concurrent calls must not both open a
 * cart: the customer's lock makes the second wait for the first's commit and then find its cart (on SQLite the one
 * connection already runs transactions one at a time). Not a unique index on the customer's OPEN carts: a failed
 * checkout hands its cart back OPEN, even when the customer has opened another since, and that must not fail.
 */
export function openCart(
  runtime: ContextRuntime<CartDatabase>,
  statements: CartStatements,
  customerId: string,
  currency: string,
): Promise<{ readonly created: boolean; readonly cart: Cart }> {
  const { db, clock, ids } = runtime;
  return db.transaction().execute(async (trx) => {
    await lockForTransaction(trx, `cart:open:${customerId}`);
    // The customer's OPEN carts in one read (rarely more than one): those idle past their deadline expire here,
    // in this transaction, and the last active of the others is the answer. No separate sweep of due carts
    // first: a cart read here that is due is expired here.
    const at = clock.now().toISOString();
    let open: CartRow | undefined;
    for (const cart of await statements.openCartsOf.execute(trx, { customerId })) {
      if (cart.expires_at > at) open ??= cart;
      else await expireCart(runtime, trx, cart.cart_id, at);
    }
    if (open) return { created: false, cart: await cartView(statements, trx, open) };
    const now = clock.now();
    const cart: CartRow = {
      cart_id: ids.next("crt"),
      customer_id: customerId,
      status: "OPEN",
      currency,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      expires_at: expiresAt(now).toISOString(),
      checkout_id: null,
    };
    await statements.insertCart.execute(trx, cart);
    // A cart made this instant holds nothing yet.
    return { created: true, cart: cartViewOf(cart, []) };
  });
}

/**
 * In `trx`, on the OPEN `cart`: add `quantity` copies of `product` (a new line, or more on its line, at the price
 * now) and publish `cart.item_added`. Returns the cart's items afterwards, in item id order.
 */
export async function addLine(
  runtime: ContextRuntime<CartDatabase>,
  statements: CartStatements,
  trx: Transaction<CartDatabase>,
  line: { readonly cart: CartRow; readonly product: PricedProduct; readonly quantity: number; readonly now: Date },
): Promise<CartItemRow[]> {
  const { cart, product, now } = line;
  // The cart's lines in one read: the product's own line, if any, how many there are, and (changed here) the
  // items the answer shows, so they are not read again.
  const lines = await statements.itemsOf.execute(trx, { cartId: cart.cart_id });
  const existing = lines.find((held) => held.product_id === product.productId);
  const problem = checkAdd(existing?.quantity, line.quantity, lines.length);
  if (problem?.kind === "too_many_copies")
    throw fail.unprocessable(
      `A cart holds at most ${problem.max} copies of a product; it has ${existing?.quantity ?? 0} of ${product.productId}.`,
    );
  if (problem?.kind === "too_many_lines")
    throw fail.unprocessable(`A cart holds at most ${problem.max} different products.`);
  const quantity = (existing?.quantity ?? 0) + line.quantity;
  const fresh = {
    isbn: product.isbn,
    title: product.title,
    unit_price: product.unitPrice,
    price_as_of: product.priceAsOf,
    available: 1,
  };
  let items: CartItemRow[];
  if (existing) {
    await statements.updateItem.execute(trx, { ...fresh, quantity, item_id: existing.item_id });
    items = lines.map((held) => (held === existing ? { ...held, ...fresh, quantity } : held));
  } else {
    const added: CartItemRow = {
      ...fresh,
      item_id: runtime.ids.next("cti"),
      cart_id: cart.cart_id,
      product_id: product.productId,
      quantity,
      added_at: now.toISOString(),
    };
    await statements.insertItem.execute(trx, added);
    // In item id order, as SQLite's binary collation compares the ids.
    items = [...lines, added].sort((a, b) => (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0));
  }
  await publishItemAdded(runtime, trx, cart, product, quantity);
  return items;
}

/** `cart.item_added` for `product`, now `quantity` copies in `cart` (also published when a line's quantity rises). */
export function publishItemAdded(
  runtime: ContextRuntime<CartDatabase>,
  trx: Transaction<CartDatabase>,
  cart: CartRow,
  product: PricedProduct,
  quantity: number,
) {
  return runtime.outbox.publish(
    trx,
    "ecommerce.cart.cart.item_added.v1",
    {
      cartId: cart.cart_id,
      customerId: cart.customer_id,
      productId: product.productId,
      quantity,
      unitPrice: { amount: product.unitPrice, currency: cart.currency },
    },
    { partitionKey: cart.cart_id, correlationId: cart.cart_id },
  );
}
