import type { inventoryApi } from "@ecom/sdk";
import type { Selectable } from "kysely";
import type { ReservationLine, ReservationState } from "./stock-rules.js";
import type { ReservationTable } from "./store.js";

/** A reservation as stored. */
export type ReservationRow = Selectable<ReservationTable>;

/** A line that could not be held, with what was available when the request was answered. */
export interface Shortage {
  readonly productId: string;
  readonly requested: number;
  readonly available: number;
}

/**
 * A reservation's line as `reservations.items` keeps it: `[productId, quantity]`, its values without their names (~25
 * bytes a line fewer). Rows written before keep `{ productId, quantity }` objects, and read as they did; so do lines
 * that would not read back exactly as tuples.
 */
type LineTuple = [productId: string, quantity: number];

/** What `reservations.items` keeps of `lines`: tuples when every line reads back exactly, else the objects. */
export function keptLines(lines: readonly ReservationLine[]): string {
  const tuples = lines.map((line): LineTuple => [line.productId, line.quantity]);
  const exact = tuples.every(
    ([productId, quantity], index) => JSON.stringify({ productId, quantity }) === JSON.stringify(lines[index]),
  );
  return JSON.stringify(exact ? tuples : lines);
}

/** The lines a reservation row holds (either form of `items`). */
export function linesOf(row: Pick<ReservationRow, "items">): ReservationLine[] {
  const parsed = JSON.parse(row.items) as (LineTuple | ReservationLine)[];
  return parsed.map((line) => (Array.isArray(line) ? { productId: line[0], quantity: line[1] } : line));
}

/** `reservations.items` as rows kept it before tuples (objects' JSON): what the canonical export shows. */
export function reservationItemsText(items: string): string {
  return items.startsWith("[[") ? JSON.stringify(linesOf({ items })) : items;
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

/** The flow of a reservation's events: stored when it is not the reservation's checkout (see store.ts). */
export function correlationOf(row: ReservationRow): string {
  return row.correlation_id ?? row.checkout_id;
}
