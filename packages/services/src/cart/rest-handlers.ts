import type { cartApi } from "@ecom/sdk";
import type { Kysely, Selectable, Transaction } from "kysely";
import {
  type ContextRuntime,
  fail,
  lockForTransaction,
  type Principal,
  type RestHandlers,
  signedIn,
} from "../platform/index.js";
import { expireCart, expireIdleCarts } from "./cart-expiry.js";
import { type CartStatus, checkAdd, expiresAt, totals } from "./cart-rules.js";
import { type CartStatements, createCartStatements } from "./cart-statements.js";
import { currentPrices, type PricedProduct } from "./catalog-prices.js";
import type { CartDatabase, CartItemsTable, CartsTable } from "./store.js";

type Schemas = cartApi.components["schemas"];
type Db = Kysely<CartDatabase> | Transaction<CartDatabase>;
type CartRow = Selectable<CartsTable>;
type CartItemRow = Selectable<CartItemsTable>;

/** The contract's Cart for a stored cart, with line totals and subtotal at the prices held. */
async function cartView(statements: CartStatements, db: Db, cart: CartRow): Promise<Schemas["Cart"]> {
  return cartViewOf(cart, await statements.itemsOf.execute(db, { cartId: cart.cart_id }));
}

/** The contract's Cart for a cart and its items (in item id order). */
function cartViewOf(cart: CartRow, items: readonly CartItemRow[]): Schemas["Cart"] {
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

const notOpen = (cart: CartRow) =>
  fail.conflict(
    cart.status === "CHECKED_OUT"
      ? `Cart ${cart.cart_id} is being checked out (${cart.checkout_id}); it changes again only if that checkout fails.`
      : `Cart ${cart.cart_id} is ${cart.status} and can no longer change; open a new cart with POST /carts.`,
  );

/** The cart context's REST operations (contracts/openapi/cart.yaml). */
export function createCartRestHandlers(runtime: ContextRuntime<CartDatabase>): RestHandlers<cartApi.operations> {
  const { db, clock, ids } = runtime;
  const statements = createCartStatements(db);

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

  const publishItemAdded = (trx: Transaction<CartDatabase>, cart: CartRow, product: PricedProduct, quantity: number) =>
    runtime.outbox.publish(
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

  return {
    async createCart({ body, principal }) {
      const customerId = signedIn(principal).customerId;
      // Two concurrent calls must not both open a cart: the customer's lock makes the second wait for the first's
      // commit and then find its cart (on SQLite the one connection already runs transactions one at a time). Not a
      // unique index on the customer's OPEN carts: a failed checkout hands its cart back OPEN, even when the customer
      // has opened another since, and that must not fail.
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
        if (open) return { status: 200 as const, body: await cartView(statements, trx, open) };
        const now = clock.now();
        const cart: CartRow = {
          cart_id: ids.next("crt"),
          customer_id: customerId,
          status: "OPEN",
          currency: body?.currency ?? "USD",
          created_at: now.toISOString(),
          updated_at: now.toISOString(),
          expires_at: expiresAt(now).toISOString(),
          checkout_id: null,
        };
        await statements.insertCart.execute(trx, cart);
        return {
          status: 201 as const,
          headers: { location: `/carts/${cart.cart_id}` },
          // A cart made this instant holds nothing yet.
          body: cartViewOf(cart, []),
        };
      });
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
      const view = await changeOpenCart(cart.cart_id, async (trx, current, now) => {
        // The cart's lines in one read: the product's own line, if any, how many there are, and (changed here) the
        // items the answer shows, so they are not read again.
        const lines = await statements.itemsOf.execute(trx, { cartId: current.cart_id });
        const existing = lines.find((line) => line.product_id === body.productId);
        const problem = checkAdd(existing?.quantity, body.quantity, lines.length);
        if (problem?.kind === "too_many_copies")
          throw fail.unprocessable(
            `A cart holds at most ${problem.max} copies of a product; it has ${existing?.quantity ?? 0} of ${body.productId}.`,
          );
        if (problem?.kind === "too_many_lines")
          throw fail.unprocessable(`A cart holds at most ${problem.max} different products.`);
        const quantity = (existing?.quantity ?? 0) + body.quantity;
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
          items = lines.map((line) => (line === existing ? { ...line, ...fresh, quantity } : line));
        } else {
          const added: CartItemRow = {
            ...fresh,
            item_id: ids.next("cti"),
            cart_id: current.cart_id,
            product_id: body.productId,
            quantity,
            added_at: now.toISOString(),
          };
          await statements.insertItem.execute(trx, added);
          // In item id order, as SQLite's binary collation compares the ids.
          items = [...lines, added].sort((a, b) => (a.item_id < b.item_id ? -1 : a.item_id > b.item_id ? 1 : 0));
        }
        await publishItemAdded(trx, current, product, quantity);
        return items;
      });
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
        if (body.quantity > item.quantity) await publishItemAdded(trx, current, product, body.quantity);
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
      const { cart, items: held } = await currentCartAndItems(path.cartId, principal);
      if (cart.status !== "OPEN") throw notOpen(cart);
      if (held.length === 0) throw fail.conflict(`Cart ${cart.cart_id} is empty; add an item before checking out.`);
      // The saga charges what the event says, so the prices are read from the catalog now rather than trusted.
      const prices = await currentPrices(
        runtime.rpc,
        held.map((item) => item.product_id),
        cart.currency,
        clock.now(),
      );
      const checkoutId = ids.next("chk");
      await db.transaction().execute(async (trx) => {
        const now = clock.now().toISOString();
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
        // The checkout id is the correlation id of the whole Checkout Saga: every later event carries it.
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
      });
      return {
        status: 202,
        headers: { location: `/checkouts/${checkoutId}` },
        body: { checkoutId, cartId: cart.cart_id, correlationId: checkoutId, status: "CHECKED_OUT" },
      };
    },
  };
}
