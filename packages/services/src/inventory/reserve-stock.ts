import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { keptLines, linesOf, type ReservationRow, type Shortage } from "./reservation-rows.js";
import type { ReservationStatements } from "./reservation-statements.js";
import type { StockHolds } from "./stock-holds.js";
import type { StockLevelRow } from "./stock-ledger.js";
import { availableOf, type ReservationLine, sameLines } from "./stock-rules.js";
import type { InventoryDatabase } from "./store.js";

/** What ReserveStock asks for. */
export interface ReserveRequest {
  readonly checkoutId: string;
  readonly correlationId: string;
  readonly lines: readonly ReservationLine[];
  readonly ttlSeconds: number;
}

/** The outcome of ReserveStock: the checkout's reservation, or a reused checkout id with other lines. */
export type ReserveOutcome =
  | { readonly kind: "reservation"; readonly reservation: ReservationRow }
  | { readonly kind: "different-lines"; readonly reservation: ReservationRow };

/** What reserving works with. */
export interface ReserveStockOptions {
  readonly runtime: ContextRuntime<InventoryDatabase>;
  readonly statements: ReservationStatements;
  readonly holds: StockHolds;
}

/** A reservation's columns that do not depend on whether its lines were held. */
type ReservationBase = Omit<ReservationRow, "status" | "shortages" | "reserved_event_id" | "expires_at">;

/**
 * Reserve all of a checkout's lines or none, once per checkout: a repeat answers the reservation made first (or
 * different-lines when it asks for other lines).
 */
export function reserveStock(options: ReserveStockOptions, request: ReserveRequest): Promise<ReserveOutcome> {
  const { runtime, statements } = options;
  return runtime.db.transaction().execute(async (trx): Promise<ReserveOutcome> => {
    const existing = await statements.byCheckout.executeTakeFirst(trx, { checkoutId: request.checkoutId });
    if (existing) {
      return sameLines(linesOf(existing), request.lines)
        ? { kind: "reservation", reservation: existing }
        : { kind: "different-lines", reservation: existing };
    }
    const now = runtime.clock.now();
    const nowText = now.toISOString();
    const { held, missed, levels } = await holdEach(statements, trx, request.lines, nowText);
    const base: ReservationBase = {
      reservation_id: runtime.ids.next("rsv"),
      checkout_id: request.checkoutId,
      items: keptLines(request.lines),
      correlation_id: request.correlationId === request.checkoutId ? null : request.correlationId,
      order_id: null,
      release_reason: null,
      created_at: nowText,
      committed_at: null,
      released_at: null,
    };
    if (missed.length > 0) {
      // All or nothing: give back what this request took, inside the same transaction, so nobody saw it held.
      await options.holds.unhold(trx, held, nowText);
      return recordUnavailable(options, trx, { request, base, missed });
    }
    return recordReserved(options, trx, { request, base, levels, now });
  });
}

/**
 * One conditional UPDATE per line: it holds the copies only if they are available at that instant, and the
 * affected-row count says whether it did. SQLite runs one writer at a time, so no two checkouts can both see the
 * last copy. `levels` are the levels as each update left them, for the low-stock recheck.
 */
async function holdEach(
  statements: ReservationStatements,
  trx: Transaction<InventoryDatabase>,
  lines: readonly ReservationLine[],
  now: string,
) {
  const held: ReservationLine[] = [];
  const missed: ReservationLine[] = [];
  const levels = new Map<string, StockLevelRow>();
  for (const line of lines) {
    const level = await statements.holdLine.executeTakeFirst(trx, {
      productId: line.productId,
      quantity: line.quantity,
      now,
    });
    if (level) levels.set(line.productId, level);
    (level ? held : missed).push(line);
  }
  return { held, missed, levels };
}

/** Record an UNAVAILABLE reservation with what each missed line could have had, and publish stock.unavailable. */
async function recordUnavailable(
  { runtime, statements }: ReserveStockOptions,
  trx: Transaction<InventoryDatabase>,
  attempt: { readonly request: ReserveRequest; readonly base: ReservationBase; readonly missed: ReservationLine[] },
): Promise<ReserveOutcome> {
  const { request, base, missed } = attempt;
  const shortages: Shortage[] = [];
  for (const line of missed) {
    const level = await trx
      .selectFrom("stock_levels")
      .select(["on_hand", "reserved", "discontinued_at"])
      .where("product_id", "=", line.productId)
      .executeTakeFirst();
    const available =
      level && level.discontinued_at === null ? availableOf({ onHand: level.on_hand, reserved: level.reserved }) : 0;
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
  await runtime.outbox.publish(
    trx,
    "ecommerce.inventory.stock.unavailable.v1",
    { checkoutId: request.checkoutId, shortages, checkedAt: base.created_at },
    { partitionKey: request.checkoutId, correlationId: request.correlationId },
  );
  return { kind: "reservation", reservation: row };
}

/** Record a RESERVED reservation until its time to live runs out, publish stock.reserved, recheck low stock. */
async function recordReserved(
  { runtime, statements, holds }: ReserveStockOptions,
  trx: Transaction<InventoryDatabase>,
  attempt: {
    readonly request: ReserveRequest;
    readonly base: ReservationBase;
    readonly levels: Map<string, StockLevelRow>;
    readonly now: Date;
  },
): Promise<ReserveOutcome> {
  const { request, base, levels, now } = attempt;
  const reservationId = base.reservation_id;
  const expiresAt = new Date(now.getTime() + request.ttlSeconds * 1000).toISOString();
  const eventId = await runtime.outbox.publish(
    trx,
    "ecommerce.inventory.stock.reserved.v1",
    {
      reservationId,
      checkoutId: request.checkoutId,
      items: [...request.lines],
      reservedAt: base.created_at,
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
  await holds.recheckWritten(trx, row, request.lines, levels);
  return { kind: "reservation", reservation: row };
}
