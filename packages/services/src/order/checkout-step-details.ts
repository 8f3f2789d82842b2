import type { CheckoutStepName } from "./checkout-saga-rules.js";
import type { CheckoutLine, CheckoutsTable } from "./store.js";

/**
 * What a step's success says (the `detail` of GET /checkouts' steps) when all it says is in the saga's row: the
 * reservation and its expiry, the total, the authorization, the order. The step log keeps such a detail as a mark
 * instead of its text (checkout-step-log.ts), since the row can say it again; the columns it is made of are never
 * changed once the step that set them succeeded.
 */

/** The columns a step's standard detail is made of. */
export type DetailColumns = Pick<
  CheckoutsTable,
  | "items_json"
  | "currency"
  | "subtotal"
  | "total"
  | "reservation_id"
  | "reservation_expires_at"
  | "payment_id"
  | "order_id"
>;

/** `amount` minor units as the details show money: "22.99 USD". */
export function formatMoney(amount: number, currency: string): string {
  return `${(amount / 100).toFixed(2)} ${currency}`;
}

/** reserve_stock's detail. */
export function reservedDetail(units: number, reservationId: string, expiresAt: string | null): string {
  return `Reserved ${units} ${units === 1 ? "copy" : "copies"} as ${reservationId}${expiresAt ? ` until ${expiresAt}` : ""}.`;
}

/** The detail of `step`'s success as `row` says it, or undefined where the row cannot say it. */
export function standardDetail(step: CheckoutStepName, row: DetailColumns): string | undefined {
  switch (step) {
    case "reserve_stock": {
      if (row.reservation_id === null) return undefined;
      const lines = JSON.parse(row.items_json) as CheckoutLine[];
      const units = lines.reduce((sum, line) => sum + line.quantity, 0);
      return reservedDetail(units, row.reservation_id, row.reservation_expires_at);
    }
    case "calculate_discount":
      return row.total === null ? undefined : `No promotion applied; total ${formatMoney(row.total, row.currency)}.`;
    case "authorize_payment":
      return row.payment_id === null
        ? undefined
        : `Authorized ${formatMoney(row.total ?? row.subtotal, row.currency)} as ${row.payment_id}.`;
    case "create_order":
      return `Order ${row.order_id} created.`;
    case "capture_payment":
      return `Captured ${formatMoney(row.total ?? 0, row.currency)}.`;
  }
}
