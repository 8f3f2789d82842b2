import type { Kysely } from "kysely";
import { compileQuery, type Param } from "../platform/index.js";
import type { ReservationRow } from "./reservation-rows.js";
import type { InventoryDatabase } from "./store.js";

/**
 * The statements of a checkout's reservation, built and compiled once when the context is made and run with each
 * call's values (the query builder cost more CPU than SQLite's run of them). Each update of a level that a low-stock
 * recheck follows answers the level (`returning`), so the recheck does not read it again.
 */
export function createReservationStatements(db: Kysely<InventoryDatabase>) {
  type LineValues = { productId: string; quantity: number; now: string };
  return {
    byCheckout: compileQuery((param: Param<{ checkoutId: string }>) =>
      db.selectFrom("reservations").selectAll().where("checkout_id", "=", param("checkoutId")),
    ),
    byId: compileQuery((param: Param<{ reservationId: string }>) =>
      db.selectFrom("reservations").selectAll().where("reservation_id", "=", param("reservationId")),
    ),
    insertReservation: compileQuery((param: Param<ReservationRow>) =>
      db.insertInto("reservations").values({
        reservation_id: param("reservation_id"),
        checkout_id: param("checkout_id"),
        status: param("status"),
        items: param("items"),
        shortages: param("shortages"),
        correlation_id: param("correlation_id"),
        reserved_event_id: param("reserved_event_id"),
        order_id: param("order_id"),
        release_reason: param("release_reason"),
        created_at: param("created_at"),
        expires_at: param("expires_at"),
        committed_at: param("committed_at"),
        released_at: param("released_at"),
      }),
    ),
    commitReservation: compileQuery((param: Param<{ reservationId: string; orderId: string; now: string }>) =>
      db
        .updateTable("reservations")
        // A committed reservation never ends otherwise, so the stock.reserved event, the cause of an expiry's event, has
        // no reader left: emptied by the write that adds the order, the row ends no larger than it began (~30 bytes
        // fewer: 7.4–7.8 reservations to a 2,048-byte page where 6.4 were, by the bench's dbstat).
        .set({ status: "COMMITTED", order_id: param("orderId"), committed_at: param("now"), reserved_event_id: null })
        .where("reservation_id", "=", param("reservationId"))
        .where("status", "=", "RESERVED")
        // Not lapsed: times are toISOString() text, so text order is time order (as the expiry's own query reads).
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", param("now"))]))
        .returningAll(),
    ),
    /** Hold a line's copies only if they are available at that instant; answers the level, none when they are not. */
    holdLine: compileQuery((param: Param<LineValues>) =>
      db
        .updateTable("stock_levels")
        .set((eb) => ({ reserved: eb("reserved", "+", param("quantity")), updated_at: param("now") }))
        .where("product_id", "=", param("productId"))
        .where("discontinued_at", "is", null)
        .where((eb) => eb(eb("on_hand", "-", eb.ref("reserved")), ">=", param("quantity")))
        .returningAll(),
    ),
    unholdLine: compileQuery((param: Param<LineValues>) =>
      db
        .updateTable("stock_levels")
        .set((eb) => ({ reserved: eb("reserved", "-", param("quantity")), updated_at: param("now") }))
        .where("product_id", "=", param("productId"))
        .where("reserved", ">=", param("quantity")),
    ),
    /** Take a committed line's copies off the shelf and the hold; answers the level. */
    sellLine: compileQuery((param: Param<LineValues>) =>
      db
        .updateTable("stock_levels")
        .set((eb) => ({
          on_hand: eb("on_hand", "-", param("quantity")),
          reserved: eb("reserved", "-", param("quantity")),
          updated_at: param("now"),
        }))
        .where("product_id", "=", param("productId"))
        .where("reserved", ">=", param("quantity"))
        .returningAll(),
    ),
  };
}

/** The reservation statements of one inventory store. */
export type ReservationStatements = ReturnType<typeof createReservationStatements>;
