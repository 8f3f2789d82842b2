import { sql } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { correlationOf, linesOf, type ReservationRow } from "./reservation-rows.js";
import type { ReservationStatements } from "./reservation-statements.js";
import type { StockHolds } from "./stock-holds.js";
import type { StockLevelRow } from "./stock-ledger.js";
import { commitDecision, type ReservationState, releaseDecision } from "./stock-rules.js";
import type { InventoryDatabase } from "./store.js";

/** Why a reservation is given back (the proto's ReleaseReason names without their prefix). */
export type ReleaseReason = "PAYMENT_FAILED" | "CHECKOUT_FAILED" | "ORDER_CANCELED";

/** The outcome of ReleaseStock or CommitStock. */
export type ResolveOutcome =
  | { readonly kind: "done"; readonly reservation: ReservationRow }
  | { readonly kind: "not-found" }
  | { readonly kind: "refused"; readonly reservation: ReservationRow; readonly why: string };

/** What ending a reservation works with. */
export interface ReservationEndOptions {
  readonly runtime: ContextRuntime<InventoryDatabase>;
  readonly statements: ReservationStatements;
  readonly holds: StockHolds;
}

/** Give a held reservation's copies back and publish stock.released; a committed one is refused. */
export function releaseReservation(
  { runtime, holds }: ReservationEndOptions,
  reservationId: string,
  reason: ReleaseReason,
): Promise<ResolveOutcome> {
  const { db, clock, outbox } = runtime;
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
    await holds.unhold(trx, lines, now);
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
    await holds.recheck(trx, released, lines);
    return { kind: "done", reservation: released };
  });
}

/** Sell a held reservation's copies to `orderId` and publish stock.committed; a lapsed or released one is refused. */
export function commitReservation(
  { runtime, statements, holds }: ReservationEndOptions,
  reservationId: string,
  orderId: string,
): Promise<ResolveOutcome> {
  const { db, clock, outbox } = runtime;
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
    await holds.recheckWritten(trx, committed, lines, levels);
    return { kind: "done", reservation: committed };
  });
}

/** Expire every held reservation whose time has come; resolves to how many expired. */
export async function expireDueReservations(options: ReservationEndOptions, now: Date): Promise<number> {
  const due = await options.runtime.db
    .selectFrom("reservations")
    .select("reservation_id")
    // A literal, not a bound parameter: SQLite takes the partial index of RESERVED rows only for its own literal.
    .where("status", "=", sql.lit("RESERVED"))
    .where("expires_at", "<=", now.toISOString())
    .orderBy("expires_at")
    .execute();
  let expired = 0;
  for (const { reservation_id: reservationId } of due) {
    if (await expireReservation(options, reservationId)) expired++;
  }
  return expired;
}

/**
 * Expire one reservation if it is still held, giving its copies back and publishing reservation.expired. One
 * transaction per reservation: a release or commit racing the expiry wins or loses as a whole.
 */
function expireReservation({ runtime, holds }: ReservationEndOptions, reservationId: string): Promise<boolean> {
  const { db, clock, outbox } = runtime;
  return db.transaction().execute(async (trx) => {
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
    await holds.unhold(trx, lines, nowText);
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
    await holds.recheck(trx, row, lines);
    return true;
  });
}
