import { type Kysely, type Selectable, sql } from "kysely";
import { compileQuery, type Param } from "../platform/index.js";
import { type CartStatus, requiredStatus } from "./cart-rules.js";
import type { CartDatabase, CartItemsTable, CartsTable } from "./store.js";

type CartRow = Selectable<CartsTable>;
type CartItemRow = Selectable<CartItemsTable>;

/**
 * `status = 'OPEN'` written as a literal, not a bound parameter: the carts' look-ups by customer and by deadline use
 * indexes of OPEN carts alone (migrations.ts), and SQLite takes a partial index only for a query naming its literal.
 */
export const OPEN = sql.lit<CartStatus>("OPEN");

/**
 * The statements a checkout runs on the cart's store, built and compiled once when the context is made and then run
 * with each call's values: the query builder's building and compiling cost more CPU than SQLite's running of them.
 * Each runs on `db` or on a transaction of it (the runner given at the call).
 */
export function createCartStatements(db: Kysely<CartDatabase>) {
  return {
    /** A cart by id. */
    cartById: compileQuery((param: Param<{ cartId: string }>) =>
      db.selectFrom("carts").selectAll().where("cart_id", "=", param("cartId")),
    ),

    /** A cart's items, in item id order (the order the contract's Cart lists them). */
    itemsOf: compileQuery((param: Param<{ cartId: string }>) =>
      db.selectFrom("cart_items").selectAll().where("cart_id", "=", param("cartId")).orderBy("item_id"),
    ),

    /**
     * A cart and its items in one read: one row per item in item id order (the cart's columns on each), or one row
     * with no item (null item columns) for an empty cart; none for no cart.
     */
    cartWithItems: compileQuery((param: Param<{ cartId: string }>) =>
      db
        .selectFrom("carts")
        .leftJoin("cart_items", "cart_items.cart_id", "carts.cart_id")
        .selectAll("carts")
        .select([
          "cart_items.item_id",
          "cart_items.product_id",
          "cart_items.isbn",
          "cart_items.title",
          "cart_items.quantity",
          "cart_items.unit_price",
          "cart_items.price_as_of",
          "cart_items.available",
          "cart_items.added_at",
        ])
        .where("carts.cart_id", "=", param("cartId"))
        .orderBy("cart_items.item_id"),
    ),

    /** A customer's OPEN carts, the last active first (a failed checkout may have handed back a second one). */
    openCartsOf: compileQuery((param: Param<{ customerId: string }>) =>
      db
        .selectFrom("carts")
        .selectAll()
        .where("customer_id", "=", param("customerId"))
        .where("status", "=", OPEN)
        .orderBy("updated_at", "desc"),
    ),

    insertCart: compileQuery((param: Param<CartRow>) =>
      db.insertInto("carts").values({
        cart_id: param("cart_id"),
        customer_id: param("customer_id"),
        status: param("status"),
        currency: param("currency"),
        created_at: param("created_at"),
        updated_at: param("updated_at"),
        expires_at: param("expires_at"),
        checkout_id: param("checkout_id"),
      }),
    ),

    /** Touch an OPEN cart's activity time and idle deadline; answers the row, none when it is not OPEN. */
    touchOpenCart: compileQuery((param: Param<{ cartId: string; updatedAt: string; expiresAt: string }>) =>
      db
        .updateTable("carts")
        .set({ updated_at: param("updatedAt"), expires_at: param("expiresAt") })
        .where("cart_id", "=", param("cartId"))
        .where("status", "=", "OPEN")
        .returningAll(),
    ),

    /** Freeze an OPEN cart for a checkout. */
    freezeCart: compileQuery((param: Param<{ cartId: string; checkoutId: string; updatedAt: string }>) =>
      db
        .updateTable("carts")
        .set({ status: "CHECKED_OUT", checkout_id: param("checkoutId"), updated_at: param("updatedAt") })
        .where("cart_id", "=", param("cartId"))
        .where("status", "=", requiredStatus("check_out")),
    ),

    insertItem: compileQuery((param: Param<CartItemRow>) =>
      db.insertInto("cart_items").values({
        item_id: param("item_id"),
        cart_id: param("cart_id"),
        product_id: param("product_id"),
        isbn: param("isbn"),
        title: param("title"),
        quantity: param("quantity"),
        unit_price: param("unit_price"),
        price_as_of: param("price_as_of"),
        available: param("available"),
        added_at: param("added_at"),
      }),
    ),

    /** An item's quantity and catalog facts, as of a price just read (and available again). */
    updateItem: compileQuery(
      (param: Param<Pick<CartItemRow, "item_id" | "isbn" | "title" | "quantity" | "unit_price" | "price_as_of">>) =>
        db
          .updateTable("cart_items")
          .set({
            isbn: param("isbn"),
            title: param("title"),
            unit_price: param("unit_price"),
            price_as_of: param("price_as_of"),
            available: 1,
            quantity: param("quantity"),
          })
          .where("item_id", "=", param("item_id")),
    ),

    /** An item's price as of a price just read, available again. */
    repriceItem: compileQuery((param: Param<{ itemId: string; unitPrice: number; priceAsOf: string }>) =>
      db
        .updateTable("cart_items")
        .set({ unit_price: param("unitPrice"), price_as_of: param("priceAsOf"), available: 1 })
        .where("item_id", "=", param("itemId")),
    ),
  };
}

/** The cart's compiled statements. */
export type CartStatements = ReturnType<typeof createCartStatements>;
