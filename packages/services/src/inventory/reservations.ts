import type { inventoryApi } from "@ecom/sdk";
import { type Selectable, sql, type Transaction } from "kysely";
import { type ContextRuntime, compileQuery, type Param } from "../platform/index.js";
import type { StockLedger, StockLevelRow } from "./stock-ledger.js";
import {
  availableOf,
  commitDecision,
  type ReservationLine,
  type ReservationState,
  releaseDecision,
  sameLines,
} from "./stock-rules.js";
import type { InventoryDatabase, ReservationTable } from "./store.js";

/** A reservation as stored. */
export type ReservationRow = Selectable<ReservationTable>;

/** A line that could not be held, with what was available when the request was answered. */
export interface Shortage {
  readonly productId: string;
  readonly requested: number;
  readonly available: number;
}

/** Why a reservation is given back (the proto's ReleaseReason names without their prefix). */
export type ReleaseReason = "PAYMENT_FAILED" | "CHECKOUT_FAILED" | "ORDER_CANCELED";

/** The outcome of ReserveStock: the checkout's reservation, or a reused checkout id with other lines. */
export type ReserveOutcome =
  | { readonly kind: "reservation"; readonly reservation: ReservationRow }
  | { readonly kind: "different-lines"; readonly reservation: ReservationRow };

/** The outcome of ReleaseStock or CommitStock. */
export type ResolveOutcome =
  | { readonly kind: "done"; readonly reservation: ReservationRow }
  | { readonly kind: "not-found" }
  | { readonly kind: "refused"; readonly reservation: ReservationRow; readonly why: string };

/** Stock holds for checkouts: reserve all lines or none, release, commit, and expire what is due. */
export interface Reservations {
  reserve(request: {
    readonly checkoutId: string;
    readonly correlationId: string;
    readonly lines: readonly ReservationLine[];
    readonly ttlSeconds: number;
  }): Promise<ReserveOutcome>;
  release(reservationId: string, reason: ReleaseReason): Promise<ResolveOutcome>;
  commit(reservationId: string, orderId: string): Promise<ResolveOutcome>;
  /** Expire every held reservation whose time has come; resolves to how many expired. */
  expireDue(now: Date): Promise<number>;
  find(reservationId: string): Promise<ReservationRow | undefined>;
}

/** The lines a reservation row holds. */
export function linesOf(row: ReservationRow): ReservationLine[] {
  return JSON.parse(row.items) as ReservationLine[];
}

/** The shortages an UNAVAILABLE reservation recorded. */
export function shortagesOf(row: ReservationRow): Shortage[] {
  return row.shortages === null ? [] : (JSON.parse(row.shortages) as Shortage[]);
}

/** The REST Reservation of a row; undefined for UNAVAILABLE, which held nothing and has no REST form. */
export function toReservation(row: ReservationRow): inventoryApi.components["schemas"]["Reservation"] | undefined {
  const status = REST_STATUS[row.status as ReservationState];
  if (!status || row.expires_at === null) return undefined;
  return {
    reservationId: row.reservation_id,
    checkoutId: row.checkout_id,
    ...(row.order_id === null ? {} : { orderId: row.order_id }),
    status,
    items: linesOf(row),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    ...(row.committed_at === null ? {} : { committedAt: row.committed_at }),
    ...(row.released_at === null ? {} : { releasedAt: row.released_at }),
  };
}

const REST_STATUS: Partial<Record<ReservationState, inventoryApi.components["schemas"]["ReservationStatus"]>> = {
  RESERVED: "HELD",
  COMMITTED: "COMMITTED",
  RELEASED: "RELEASED",
  EXPIRED: "EXPIRED",
};

/** The reservations of one running inventory context. */
export function createReservations(runtime: ContextRuntime<InventoryDatabase>, ledger: StockLedger): Reservations {
  const { db, clock, ids, outbox } = runtime;
  const statements = createReservationStatements(runtime);

  /** Give a held reservation's copies back to `available` (release and expiry). */
  const unhold = async (trx: Transaction<InventoryDatabase>, lines: readonly ReservationLine[], now: string) => {
    for (const line of lines) {
      const changed = await statements.unholdLine.executeChanges(trx, {
        productId: line.productId,
        quantity: line.quantity,
        now,
      });
      // A held reservation's copies are always counted in `reserved`; anything else is a bug worth stopping for.
      if (changed !== 1n) throw new Error(`stock of ${line.productId} holds fewer copies than a reservation`);
    }
  };

  /** The flow of a reservation's events: stored when it is not the reservation's checkout (see store.ts). */
  const correlationOf = (row: ReservationRow) => row.correlation_id ?? row.checkout_id;

  const recheck = async (
    trx: Transaction<InventoryDatabase>,
    row: ReservationRow,
    lines: readonly ReservationLine[],
  ) => {
    for (const line of lines) await ledger.recheckAlert(trx, line.productId, { correlationId: correlationOf(row) });
  };

  /**
   * {@link recheck} of levels this transaction has just written and read back (`levels`, by product), so they are
   * not read again; a product on two lines is rechecked as it stands after the first.
   */
  const recheckWritten = async (
    trx: Transaction<InventoryDatabase>,
    row: ReservationRow,
    lines: readonly ReservationLine[],
    levels: Map<string, StockLevelRow>,
  ) => {
    for (const line of lines) {
      const level = levels.get(line.productId);
      if (!level) throw new Error(`stock of ${line.productId} was not read back`);
      levels.set(line.productId, await ledger.recheckAlertOf(trx, level, { correlationId: correlationOf(row) }));
    }
  };

  return {
    async reserve(request) {
      return db.transaction().execute(async (trx): Promise<ReserveOutcome> => {
        const existing = await statements.byCheckout.executeTakeFirst(trx, { checkoutId: request.checkoutId });
        if (existing) {
          return sameLines(linesOf(existing), request.lines)
            ? { kind: "reservation", reservation: existing }
            : { kind: "different-lines", reservation: existing };
        }

        const now = clock.now();
        const nowText = now.toISOString();
        // One conditional UPDATE per line: it holds the copies only if they are available at that instant, and the
        // affected-row count says whether it did. SQLite runs one writer at a time, so no two checkouts can both
        // see the last copy.
        const held: ReservationLine[] = [];
        const missed: ReservationLine[] = [];
        // The levels as each update left them, for the low-stock recheck below.
        const levels = new Map<string, StockLevelRow>();
        for (const line of request.lines) {
          const level = await statements.holdLine.executeTakeFirst(trx, {
            productId: line.productId,
            quantity: line.quantity,
            now: nowText,
          });
          if (level) levels.set(line.productId, level);
          (level ? held : missed).push(line);
        }

        const reservationId = ids.next("rsv");
        const base = {
          reservation_id: reservationId,
          checkout_id: request.checkoutId,
          items: JSON.stringify(request.lines),
          correlation_id: request.correlationId === request.checkoutId ? null : request.correlationId,
          order_id: null,
          release_reason: null,
          created_at: nowText,
          committed_at: null,
          released_at: null,
        };

        if (missed.length > 0) {
          // All or nothing: give back what this request took, inside the same transaction, so nobody saw it held.
          await unhold(trx, held, nowText);
          const shortages: Shortage[] = [];
          for (const line of missed) {
            const level = await trx
              .selectFrom("stock_levels")
              .select(["on_hand", "reserved", "discontinued_at"])
              .where("product_id", "=", line.productId)
              .executeTakeFirst();
            const available =
              level && level.discontinued_at === null
                ? availableOf({ onHand: level.on_hand, reserved: level.reserved })
                : 0;
            shortages.push({ productId: line.productId, requested: line.quantity, available });
          }
          const row: ReservationRow = {
            ...base,
            status: "UNAVAILABLE",
            shortages: JSON.stringify(shortages),
            reserved_event_id: null,
            expires_at: null,
          };
          await statements.insertReservation.execute(trx, row);
          await outbox.publish(
            trx,
            "ecommerce.inventory.stock.unavailable.v1",
            { checkoutId: request.checkoutId, shortages, checkedAt: nowText },
            { partitionKey: request.checkoutId, correlationId: request.correlationId },
          );
          return { kind: "reservation", reservation: row };
        }

        const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000).toISOString();
        const eventId = await outbox.publish(
          trx,
          "ecommerce.inventory.stock.reserved.v1",
          {
            reservationId,
            checkoutId: request.checkoutId,
            items: [...request.lines],
            reservedAt: nowText,
            expiresAt,
          },
          { partitionKey: reservationId, correlationId: request.correlationId },
        );
        const row: ReservationRow = {
          ...base,
          status: "RESERVED",
          shortages: null,
          reserved_event_id: eventId,
          expires_at: expiresAt,
        };
        await statements.insertReservation.execute(trx, row);
        await recheckWritten(trx, row, request.lines, levels);
        return { kind: "reservation", reservation: row };
      });
    },

    async release(reservationId, reason) {
      return db.transaction().execute(async (trx): Promise<ResolveOutcome> => {
        const row = await trx
          .selectFrom("reservations")
          .selectAll()
          .where("reservation_id", "=", reservationId)
          .executeTakeFirst();
        if (!row) return { kind: "not-found" };
        const decision = releaseDecision(row.status as ReservationState);
        if (decision === "already-done") return { kind: "done", reservation: row };
        if (decision === "refuse-committed") {
          return {
            kind: "refused",
            reservation: row,
            why: `reservation ${reservationId} is COMMITTED: its copies are sold; return them with a stock adjustment`,
          };
        }
        const now = clock.now().toISOString();
        const released = await trx
          .updateTable("reservations")
          .set({ status: "RELEASED", release_reason: reason, released_at: now })
          .where("reservation_id", "=", reservationId)
          .where("status", "=", "RESERVED")
          .returningAll()
          .executeTakeFirstOrThrow();
        const lines = linesOf(released);
        await unhold(trx, lines, now);
        await outbox.publish(
          trx,
          "ecommerce.inventory.stock.released.v1",
          {
            reservationId,
            checkoutId: released.checkout_id,
            items: lines,
            // The event knows two reasons: a failed payment is one way a checkout fails.
            reason: reason === "ORDER_CANCELED" ? "ORDER_CANCELED" : "CHECKOUT_FAILED",
            releasedAt: now,
          },
          { partitionKey: reservationId, correlationId: correlationOf(released) },
        );
        await recheck(trx, released, lines);
        return { kind: "done", reservation: released };
      });
    },

    async commit(reservationId, orderId) {
      return db.transaction().execute(async (trx): Promise<ResolveOutcome> => {
        const now = clock.now();
        const nowText = now.toISOString();
        // Committed at once when it is held and has not lapsed (commitDecision's "commit", said in SQL): the update
        // answers the row, so it is read first only when it is not committed here.
        const committed = await statements.commitReservation.executeTakeFirst(trx, {
          reservationId,
          orderId,
          now: nowText,
        });
        if (!committed) {
          const row = await statements.byId.executeTakeFirst(trx, { reservationId });
          if (!row) return { kind: "not-found" };
          const decision = commitDecision(row.status as ReservationState, row.expires_at, now);
          if (decision === "already-done") return { kind: "done", reservation: row };
          if (decision === "commit") throw new Error(`reservation ${reservationId} is held but was not committed`);
          const why =
            decision === "refuse-lapsed"
              ? `reservation ${reservationId} lapsed at ${row.expires_at}; its copies may be in another cart, so reserve again`
              : `reservation ${reservationId} is ${row.status} and holds nothing to sell; reserve again`;
          return { kind: "refused", reservation: row, why };
        }
        const lines = linesOf(committed);
        const levels = new Map<string, StockLevelRow>();
        for (const line of lines) {
          // The sold copies leave the shelf and the hold together, so `available` does not move.
          const level = await statements.sellLine.executeTakeFirst(trx, {
            productId: line.productId,
            quantity: line.quantity,
            now: nowText,
          });
          if (!level) throw new Error(`stock of ${line.productId} holds fewer copies than a reservation`);
          levels.set(line.productId, level);
        }
        await outbox.publish(
          trx,
          "ecommerce.inventory.stock.committed.v1",
          { reservationId, checkoutId: committed.checkout_id, orderId, items: lines, committedAt: nowText },
          { partitionKey: reservationId, correlationId: correlationOf(committed) },
        );
        await recheckWritten(trx, committed, lines, levels);
        return { kind: "done", reservation: committed };
      });
    },

    async expireDue(now) {
      const due = await db
        .selectFrom("reservations")
        .select("reservation_id")
        // A literal, not a bound parameter: SQLite takes the partial index of RESERVED rows only for its own literal.
        .where("status", "=", sql.lit("RESERVED"))
        .where("expires_at", "<=", now.toISOString())
        .orderBy("expires_at")
        .execute();
      let expired = 0;
      for (const { reservation_id: reservationId } of due) {
        // One transaction per reservation: a release or commit racing the expiry wins or loses as a whole.
        const done = await db.transaction().execute(async (trx) => {
          const nowText = clock.now().toISOString();
          // It expired at its expiry instant, however late the clock tick that noticed it came.
          const row = await trx
            .updateTable("reservations")
            .set((eb) => ({ status: "EXPIRED", released_at: eb.ref("expires_at") }))
            .where("reservation_id", "=", reservationId)
            .where("status", "=", "RESERVED")
            .returningAll()
            .executeTakeFirst();
          if (!row) return false;
          const lines = linesOf(row);
          await unhold(trx, lines, nowText);
          await outbox.publish(
            trx,
            "ecommerce.inventory.reservation.expired.v1",
            {
              reservationId,
              checkoutId: row.checkout_id,
              items: lines,
              reservedAt: row.created_at,
              expiredAt: row.expires_at ?? nowText,
            },
            {
              partitionKey: reservationId,
              correlationId: correlationOf(row),
              causationId: row.reserved_event_id ?? undefined,
            },
          );
          await recheck(trx, row, lines);
          return true;
        });
        if (done) expired++;
      }
      return expired;
    },

    find: (reservationId) => statements.byId.executeTakeFirst(db, { reservationId }),
  };
}

/**
 * The statements of a checkout's reservation, built and compiled once when the context is made and run with each
 * call's values (the query builder cost more CPU than SQLite's run of them). Each update of a level that a low-stock
 * recheck follows answers the level (`returning`), so the recheck does not read it again.
 */
function createReservationStatements(runtime: ContextRuntime<InventoryDatabase>) {
  const { db } = runtime;
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
        .set({ status: "COMMITTED", order_id: param("orderId"), committed_at: param("now") })
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
