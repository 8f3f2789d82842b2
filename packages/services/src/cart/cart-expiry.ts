import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { requiredStatus } from "./cart-rules.js";
import { OPEN } from "./cart-statements.js";
import type { CartDatabase } from "./store.js";

const BATCH = 500;

/**
 * Expire OPEN carts idle past their deadline at `now`, publishing `ecommerce.cart.cart.expired.v1` for each in the
 * transaction that expires it. Called by `tick` for all carts, and by the handlers for the carts they are about to
 * touch (the clock may have passed a deadline without a tick). The conditional update makes a cart expire once
 * however many callers race.
 */
export async function expireIdleCarts(
  runtime: ContextRuntime<CartDatabase>,
  now: Date,
  only?: { readonly cartId?: string; readonly customerId?: string },
): Promise<number> {
  const at = now.toISOString();
  let expired = 0;
  for (;;) {
    let due = runtime.db
      .selectFrom("carts")
      .select("cart_id")
      .where("status", "=", OPEN)
      .where("expires_at", "<=", at)
      .orderBy("expires_at")
      .limit(BATCH);
    if (only?.cartId !== undefined) due = due.where("cart_id", "=", only.cartId);
    if (only?.customerId !== undefined) due = due.where("customer_id", "=", only.customerId);
    const carts = await due.execute();
    if (carts.length === 0) return expired;
    await runtime.db.transaction().execute(async (trx) => {
      for (const { cart_id: cartId } of carts) if (await expireCart(runtime, trx, cartId, at)) expired++;
    });
    if (carts.length < BATCH) return expired;
  }
}

/**
 * Expire the cart `cartId` in `trx` if it is still OPEN and idle past its deadline at `at` (ISO text), publishing
 * `ecommerce.cart.cart.expired.v1` in the same transaction; false when it was not (a checkout or another caller moved
 * it first).
 */
export async function expireCart(
  runtime: ContextRuntime<CartDatabase>,
  trx: Transaction<CartDatabase>,
  cartId: string,
  at: string,
): Promise<boolean> {
  const cart = await trx.selectFrom("carts").selectAll().where("cart_id", "=", cartId).executeTakeFirstOrThrow();
  const updated = await trx
    .updateTable("carts")
    .set({ status: "EXPIRED" })
    .where("cart_id", "=", cartId)
    .where("status", "=", requiredStatus("expire"))
    .where("expires_at", "<=", at)
    .executeTakeFirst();
  if (updated.numUpdatedRows === 0n) return false;
  const items = await trx
    .selectFrom("cart_items")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("cart_id", "=", cartId)
    .executeTakeFirst();
  await runtime.outbox.publish(
    trx,
    "ecommerce.cart.cart.expired.v1",
    {
      cartId,
      customerId: cart.customer_id,
      itemCount: Number(items?.count ?? 0),
      lastActivityAt: cart.updated_at,
    },
    { partitionKey: cartId, correlationId: cartId },
  );
  return true;
}
