import type { ContextRuntime } from "../platform/index.js";
import {
  commitReservation,
  expireDueReservations,
  type ReleaseReason,
  type ResolveOutcome,
  releaseReservation,
} from "./reservation-ends.js";
import type { ReservationRow } from "./reservation-rows.js";
import { createReservationStatements } from "./reservation-statements.js";
import { type ReserveOutcome, type ReserveRequest, reserveStock } from "./reserve-stock.js";
import { StockHolds } from "./stock-holds.js";
import type { StockLedger } from "./stock-ledger.js";
import type { InventoryDatabase } from "./store.js";

/** Stock holds for checkouts: reserve all lines or none, release, commit, and expire what is due. */
export interface Reservations {
  reserve(request: ReserveRequest): Promise<ReserveOutcome>;
  release(reservationId: string, reason: ReleaseReason): Promise<ResolveOutcome>;
  commit(reservationId: string, orderId: string): Promise<ResolveOutcome>;
  /** Expire every held reservation whose time has come; resolves to how many expired. */
  expireDue(now: Date): Promise<number>;
  find(reservationId: string): Promise<ReservationRow | undefined>;
}

/** The reservations of one running inventory context. */
export function createReservations(runtime: ContextRuntime<InventoryDatabase>, ledger: StockLedger): Reservations {
  const statements = createReservationStatements(runtime.db);
  const options = { runtime, statements, holds: new StockHolds(ledger, statements) };
  return {
    reserve: (request) => reserveStock(options, request),
    release: (reservationId, reason) => releaseReservation(options, reservationId, reason),
    commit: (reservationId, orderId) => commitReservation(options, reservationId, orderId),
    expireDue: (now) => expireDueReservations(options, now),
    find: (reservationId) => statements.byId.executeTakeFirst(runtime.db, { reservationId }),
  };
}
