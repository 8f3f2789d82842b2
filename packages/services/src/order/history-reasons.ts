import type { OrderStatusHistoryTable } from "./store.js";

/**
 * The reasons the platform itself gives an order's status changes, word for word each time, kept in the history as
 * their place in this list (`order_status_history.reason_code`, migration 0008) instead of their text: a checkout's
 * two lines kept ~46 bytes of constant text. SQLite keeps the codes 0 and 1 in the row's header alone. FROZEN: a
 * row's code is read back through this list, so a reason is only ever added at its end, never edited or moved. Any
 * other reason (a note, a carrier's name) is kept as its text, as every reason written before is.
 */
export const STANDARD_REASONS = [
  "Created by the Checkout Saga.",
  "Payment captured.",
  "Picked and packed.",
  "Delivered.",
] as const;

const CODES: ReadonlyMap<string, number> = new Map(STANDARD_REASONS.map((reason, code) => [reason, code]));

/** The columns that keep `reason`: its code when it is a standard reason, else its text. */
export function keptReason(reason: string | null): Pick<OrderStatusHistoryTable, "reason" | "reason_code"> {
  const code = reason === null ? undefined : CODES.get(reason);
  return code === undefined ? { reason, reason_code: null } : { reason: null, reason_code: code };
}

/** The reason of a history row, kept either way. */
export function historyReasonOf(row: Pick<OrderStatusHistoryTable, "reason" | "reason_code">): string | null {
  if (row.reason_code === null || row.reason_code === undefined) return row.reason;
  return STANDARD_REASONS[row.reason_code] ?? row.reason;
}
