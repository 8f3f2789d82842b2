import type { cartApi } from "@ecom/sdk";
import type { Kysely, Selectable, Transaction } from "kysely";
import { type ContextRuntime, fail, type Principal } from "../platform/index.js";
import { expireIdleCarts } from "./cart-expiry.js";
import { type CartStatus, expiresAt, totals } from "./cart-rules.js";
import type { CartStatements } from "./cart-statements.js";
import type { CartDatabase, CartItemsTable, CartsTable } from "./store.js";

type Schemas = cartApi.components["schemas"];
type Db = Kysely<CartDatabase> | Transaction<CartDatabase>;
export type CartRow = Selectable<CartsTable>;
export type CartItemRow = Selectable<CartItemsTable>;

/** The contract's Cart for a stored cart, with line totals and subtotal at the prices held. */
export async function cartView(statements: CartStatements, db: Db, cart: CartRow): Promise<Schemas["Cart"]> {
  return cartViewOf(cart, await statements.itemsOf.execute(db, { cartId: cart.cart_id }));
}

/** The contract's Cart for a cart and its items (in item id order). */
export function cartViewOf(cart: CartRow, items: readonly CartItemRow[]): Schemas["Cart"] {
  const money = (amount: number) => ({ amount, currency: cart.currency });
  const { lineTotals, subtotal } = totals(
    items.map((item) => ({ quantity: item.quantity, unitPrice: item.unit_price })),
  );
  return {
    cartId: cart.cart_id,
    customerId: cart.customer_id,
    status: cart.status as CartStatus,
    currency: cart.currency,
    items: items.map((item, index) => ({
      itemId: item.item_id,
      productId: item.product_id,
      isbn: item.isbn,
      title: item.title,
      quantity: item.quantity,
      unitPrice: money(item.unit_price),
      lineTotal: money(lineTotals[index]!),
    })),
    subtotal: money(subtotal),
    createdAt: cart.created_at,
    updatedAt: cart.updated_at,
    expiresAt: cart.expires_at,
  };
}

/** Whether the caller may see `cart`: their own, or any for an admin. */
const mayRead = (cart: { readonly customer_id: string }, principal: Principal | undefined) =>
  principal?.role === "admin" || cart.customer_id === principal?.customerId;

/** A cart the caller may see: their own, or any for an admin. Another customer's cart is answered as absent. */
async function visibleCart(
  statements: CartStatements,
  db: Db,
  cartId: string,
  principal: Principal | undefined,
): Promise<CartRow> {
  const cart = await statements.cartById.executeTakeFirst(db, { cartId });
  if (!cart || !mayRead(cart, principal)) throw fail.notFound(`cart ${cartId}`);
  return cart;
}

/** One row of {@link CartStatements.cartWithItems}: the cart's columns and one item's, null when it has none. */
type CartWithItemRow = Awaited<ReturnType<CartStatements["cartWithItems"]["execute"]>>[number];

/**
 * The item of a row of {@link CartStatements.cartWithItems}, or undefined for an empty cart's one row. An item's
 * columns are all NOT NULL, so all are null or none is; each is checked so the compiler sees every one non-null.
 */
function itemOf(row: CartWithItemRow): CartItemRow | undefined {
  const { item_id, product_id, isbn, title, quantity, unit_price, price_as_of, available, added_at } = row;
  if (
    item_id === null ||
    product_id === null ||
    isbn === null ||
    title === null ||
    quantity === null ||
    unit_price === null ||
    price_as_of === null ||
    available === null ||
    added_at === null
  ) {
    return undefined;
  }
  return {
    item_id,
    cart_id: row.cart_id,
    product_id,
    isbn,
    title,
    quantity,
    unit_price,
    price_as_of,
    available,
    added_at,
  };
}

/** A cart the caller may see and its items (in item id order), in one read; absent as {@link visibleCart} says. */
async function visibleCartAndItems(
  statements: CartStatements,
  db: Db,
  cartId: string,
  principal: Principal | undefined,
): Promise<{ readonly cart: CartRow; readonly items: CartItemRow[] }> {
  const rows = await statements.cartWithItems.execute(db, { cartId });
  const first = rows[0];
  if (!first || !mayRead(first, principal)) throw fail.notFound(`cart ${cartId}`);
  const cart: CartRow = {
    cart_id: first.cart_id,
    customer_id: first.customer_id,
    status: first.status,
    currency: first.currency,
    created_at: first.created_at,
    updated_at: first.updated_at,
    expires_at: first.expires_at,
    checkout_id: first.checkout_id,
  };
  const items: CartItemRow[] = [];
  for (const row of rows) {
    const item = itemOf(row);
    if (item) items.push(item);
  }
  return { cart, items };
}

/** The conflict of a change to a cart that is no longer OPEN. */
export const notOpen = (cart: CartRow) =>
  fail.conflict(
    cart.status === "CHECKED_OUT"
      ? `Cart ${cart.cart_id} is being checked out (${cart.checkout_id}); it changes again only if that checkout fails.`
      : `Cart ${cart.cart_id} is ${cart.status} and can no longer change; open a new cart with POST /carts.`,
  );

/**
 * The caller's carts as the handlers act on them: read as the caller may see them, expired first when their idle
 * deadline passed, and changed only while OPEN.
 */
export function createCartAccess(runtime: ContextRuntime<CartDatabase>, statements: CartStatements) {
  const { db, clock } = runtime;
  /**
   * What `read` reads of the caller's cart, after expiring the cart if the clock passed its deadline since the last
   * tick (and reading again), so no handler acts on a cart that should already be EXPIRED.
   */
  const current = async <TRead>(cartId: string, read: () => Promise<TRead>, cartOf: (read: TRead) => CartRow) => {
    const first = await read();
    const cart = cartOf(first);
    if (cart.status !== "OPEN" || cart.expires_at > clock.now().toISOString()) return first;
    await expireIdleCarts(runtime, clock.now(), { cartId });
    return read();
  };
  const currentCart = (cartId: string, principal: Principal | undefined) =>
    current(
      cartId,
      () => visibleCart(statements, db, cartId, principal),
      (cart) => cart,
    );
  /** {@link currentCart} with its items, read together. */
  const currentCartAndItems = (cartId: string, principal: Principal | undefined) =>
    current(
      cartId,
      () => visibleCartAndItems(statements, db, cartId, principal),
      (read) => read.cart,
    );

  /**
   * Run `change` on an OPEN cart in one transaction that also touches its activity time and idle deadline. A change
   * that knows the cart's items afterwards (in item id order) returns them, and they are not read again.
   */
  const changeOpenCart = async (
    cartId: string,
    change: (trx: Transaction<CartDatabase>, cart: CartRow, now: Date) => Promise<readonly CartItemRow[] | undefined>,
  ): Promise<Schemas["Cart"]> =>
    db.transaction().execute(async (trx) => {
      const now = clock.now();
      // Touched first, only if still OPEN (a checkout may have frozen the cart since it was read): the update
      // answers the row, so the cart is read once; a change that fails rolls the touch back with it.
      const cart = await statements.touchOpenCart.executeTakeFirst(trx, {
        cartId,
        updatedAt: now.toISOString(),
        expiresAt: expiresAt(now).toISOString(),
      });
      if (!cart) throw notOpen((await statements.cartById.executeTakeFirst(trx, { cartId }))!);
      const items = await change(trx, cart, now);
      return items ? cartViewOf(cart, items) : cartView(statements, trx, cart);
    });

  return { currentCart, currentCartAndItems, changeOpenCart };
}

/** What {@link createCartAccess} gives. */
export type CartAccess = ReturnType<typeof createCartAccess>;
