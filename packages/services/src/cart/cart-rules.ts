/** The cart's rules, as pure functions: limits, idle expiry, the status machine and totals. */

/** How long an OPEN cart may sit without a change before it expires. */
export const CART_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/** Most copies of one product in a cart (the contract's `quantity` maximum). */
export const MAX_QUANTITY = 99;
/** Most lines in a cart (the contract's `items` maxItems). */
export const MAX_LINES = 100;

/** A cart's state. */
export type CartStatus = "OPEN" | "CHECKED_OUT" | "CONVERTED" | "EXPIRED";

/** What happens to a cart. */
export type CartEvent = "check_out" | "checkout_completed" | "checkout_failed" | "expire";

const TRANSITIONS: Readonly<Record<CartEvent, { readonly from: CartStatus; readonly to: CartStatus }>> = {
  check_out: { from: "OPEN", to: "CHECKED_OUT" },
  checkout_completed: { from: "CHECKED_OUT", to: "CONVERTED" },
  // A failed checkout leaves the cart usable: back to OPEN with its items.
  checkout_failed: { from: "CHECKED_OUT", to: "OPEN" },
  expire: { from: "OPEN", to: "EXPIRED" },
};

/** The status after `event`, or undefined when the cart's status does not allow it. */
export function nextStatus(status: CartStatus, event: CartEvent): CartStatus | undefined {
  const transition = TRANSITIONS[event];
  return transition.from === status ? transition.to : undefined;
}

/** The status a transition needs, for the conditional update that makes it atomic. */
export const requiredStatus = (event: CartEvent): CartStatus => TRANSITIONS[event].from;

/** When a cart last active at `lastActivity` expires. */
export function expiresAt(lastActivity: Date): Date {
  return new Date(lastActivity.getTime() + CART_IDLE_MS);
}

/** Whether an OPEN cart is past its deadline at `now`. */
export function isIdle(cart: { readonly status: string; readonly expiresAt: string }, now: Date): boolean {
  return cart.status === "OPEN" && Date.parse(cart.expiresAt) <= now.getTime();
}

/** Why a change of quantity is refused, or undefined when it is allowed. */
export type QuantityProblem =
  | { readonly kind: "too_many_copies"; readonly max: number }
  | { readonly kind: "too_many_lines"; readonly max: number };

/**
 * Check adding `added` copies of a product: raising a line past {@link MAX_QUANTITY}, or opening line
 * {@link MAX_LINES} + 1, is refused.
 */
export function checkAdd(
  existingQuantity: number | undefined,
  added: number,
  lines: number,
): QuantityProblem | undefined {
  if (existingQuantity === undefined && lines >= MAX_LINES) return { kind: "too_many_lines", max: MAX_LINES };
  if ((existingQuantity ?? 0) + added > MAX_QUANTITY) return { kind: "too_many_copies", max: MAX_QUANTITY };
  return undefined;
}

/** A line's total and the cart's subtotal, in minor units. */
export function totals(items: readonly { readonly quantity: number; readonly unitPrice: number }[]): {
  lineTotals: number[];
  subtotal: number;
} {
  const lineTotals = items.map((item) => item.quantity * item.unitPrice);
  return { lineTotals, subtotal: lineTotals.reduce((sum, total) => sum + total, 0) };
}
