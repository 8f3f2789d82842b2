import type { fulfilmentApi } from "@ecom/sdk";

/**
 * A shipment's lifecycle as pure rules: PENDING → PICKED → PACKED → SHIPPED → DELIVERED, and CANCELED from any
 * status before SHIPPED (the order was canceled). Each warehouse step is idempotent: repeating the step a shipment
 * has just taken changes nothing.
 */

/** A shipment's status. */
export type ShipmentStatus = fulfilmentApi.components["schemas"]["ShipmentStatus"];

/** The statuses a shipment moves through, in order. */
export const SHIPMENT_SEQUENCE = ["PENDING", "PICKED", "PACKED", "SHIPPED", "DELIVERED"] as const;

/** A warehouse (or carrier) step and the status it leads to. */
export const STEP_TARGET = {
  pick: "PICKED",
  pack: "PACKED",
  ship: "SHIPPED",
  deliver: "DELIVERED",
} as const satisfies Record<string, ShipmentStatus>;

/** One of the steps. */
export type ShipmentStep = keyof typeof STEP_TARGET;

/** What a step comes to. */
export type StepPlan =
  | { readonly kind: "move" }
  | { readonly kind: "unchanged" }
  | { readonly kind: "conflict"; readonly message: string };

const NEXT_STEP: Readonly<Record<string, string>> = {
  PENDING: "pick it",
  PICKED: "pack it",
  PACKED: "ship it",
  SHIPPED: "deliver it",
};

/** Plan taking `step` on a shipment in `status`; the message completes "Shipment shp_… is <status>; …". */
export function planStep(status: string, step: ShipmentStep): StepPlan {
  const target = STEP_TARGET[step];
  if (status === target) return { kind: "unchanged" };
  if (status === "CANCELED") return { kind: "conflict", message: "its order was canceled" };
  const from = SHIPMENT_SEQUENCE.indexOf(status as (typeof SHIPMENT_SEQUENCE)[number]);
  const to = SHIPMENT_SEQUENCE.indexOf(target);
  if (from === to - 1) return { kind: "move" };
  if (from < to) return { kind: "conflict", message: `${NEXT_STEP[status]} before it can be ${target.toLowerCase()}` };
  return { kind: "conflict", message: `it is past ${target} already` };
}

/** What canceling a shipment (its order was canceled) comes to. */
export type CancelShipmentPlan =
  | { readonly kind: "cancel" }
  | { readonly kind: "unchanged" }
  /** With the carrier or delivered: too late to stop it here. */
  | { readonly kind: "too_late" };

/** Plan canceling a shipment in `status`. */
export function planCancelShipment(status: string): CancelShipmentPlan {
  if (status === "CANCELED") return { kind: "unchanged" };
  if (status === "SHIPPED" || status === "DELIVERED") return { kind: "too_late" };
  return { kind: "cancel" };
}

/** The days after delivery in which a return may be requested (seed 003). */
export const RETURN_WINDOW_DAYS = 30;

/** The end of the return window of a shipment delivered at `deliveredAt`. */
export function returnWindowEnd(deliveredAt: string): string {
  return new Date(Date.parse(deliveredAt) + RETURN_WINDOW_DAYS * 86_400_000).toISOString();
}
