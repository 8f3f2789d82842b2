import type { MessageType, orderApi } from "@ecom/sdk";

/**
 * The order lifecycle as pure rules: PENDING → PAID → FULFILLED → SHIPPED → DELIVERED, and CANCELED from PENDING
 * (nothing was charged) or PAID (refunded). Who may move an order where is decided here, not in the handlers.
 */

/** An order's status. */
export type OrderStatus = orderApi.components["schemas"]["OrderStatus"];

/** The statuses a paid order moves through, in order. */
export const FULFILMENT_SEQUENCE = ["PAID", "FULFILLED", "SHIPPED", "DELIVERED"] as const;

/** The event published when an order reaches each fulfilment status. */
export const STATUS_EVENT = {
  FULFILLED: "ecommerce.order.order.fulfilled.v1",
  SHIPPED: "ecommerce.order.order.shipped.v1",
  DELIVERED: "ecommerce.order.order.delivered.v1",
} as const satisfies Record<string, MessageType>;

/** A fulfilment status an order can be moved to. */
export type FulfilmentTarget = keyof typeof STATUS_EVENT;

/** What a requested status change comes to. */
export type StatusChangePlan =
  | { readonly kind: "move" }
  | { readonly kind: "unchanged" }
  /** An event that arrived after the order had moved past it (or a duplicate): nothing to do. */
  | { readonly kind: "stale" }
  | { readonly kind: "invalid"; readonly message: string };

/**
 * Plan moving an order from `from` to `to`. An admin moves a paid order one step at a time; the fulfilment context's
 * events may move it forward several (a shipment event may arrive for an order whose packing nobody reported), and
 * an event for a status already passed is stale, not an error.
 */
export function planStatusChange(from: string, to: FulfilmentTarget, by: "admin" | "system"): StatusChangePlan {
  if (from === to) return { kind: "unchanged" };
  const fromIndex = FULFILMENT_SEQUENCE.indexOf(from as (typeof FULFILMENT_SEQUENCE)[number]);
  const toIndex = FULFILMENT_SEQUENCE.indexOf(to);
  if (fromIndex < 0) return { kind: "invalid", message: `it is ${from}; only a paid order moves through fulfilment` };
  if (toIndex < fromIndex) {
    return by === "system"
      ? { kind: "stale" }
      : { kind: "invalid", message: `it is ${from}; it cannot go back to ${to}` };
  }
  if (by === "admin" && toIndex !== fromIndex + 1) {
    return {
      kind: "invalid",
      message: `it is ${from}; it can move to ${FULFILMENT_SEQUENCE[fromIndex + 1]} only, not ${to}`,
    };
  }
  return { kind: "move" };
}

/** What canceling an order comes to. */
export type CancelPlan =
  | { readonly kind: "unchanged" }
  /** A PENDING order: void the authorization and release the stock. */
  | { readonly kind: "void_and_release" }
  /** A PAID order: refund the captured payment. */
  | { readonly kind: "refund" }
  | { readonly kind: "forbidden"; readonly message: string }
  | { readonly kind: "conflict"; readonly message: string };

/**
 * Plan canceling an order in `status` for a caller with `role` (ownership is checked before: another customer's
 * order is not found). A customer cancels only their own PENDING order; an admin also a PAID one, with a refund. A
 * PENDING order whose Checkout Saga is still running is the saga's to finish first.
 */
export function planCancel(status: string, role: "customer" | "admin", sagaRunning: boolean): CancelPlan {
  switch (status) {
    case "CANCELED":
      return { kind: "unchanged" };
    case "PENDING":
      return sagaRunning
        ? { kind: "conflict", message: "its checkout is still running; try again when it has ended" }
        : { kind: "void_and_release" };
    case "PAID":
      return role === "admin"
        ? { kind: "refund" }
        : { kind: "forbidden", message: "it is PAID; ask support to cancel it with a refund" };
    default:
      return { kind: "conflict", message: `it is ${status}; request a return instead` };
  }
}
