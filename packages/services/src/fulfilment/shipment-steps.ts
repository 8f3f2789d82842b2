import type { fulfilmentApi } from "@ecom/sdk";
import { fail } from "../platform/index.js";
import type { ShipmentStep } from "./shipment-rules.js";
import type { ShipmentTable } from "./store.js";

type Schemas = fulfilmentApi.components["schemas"];

/** What each step is told besides the shipment (the contract's request bodies). */
export interface StepInputs {
  readonly pick: Schemas["PickShipmentRequest"] | undefined;
  readonly pack: Schemas["PackShipmentRequest"] | undefined;
  readonly ship: Schemas["ShipShipmentRequest"];
  readonly deliver: Schemas["DeliverShipmentRequest"] | undefined;
}

/** What taking one step writes: the row it leaves and the tracking line that records it. */
export interface StepEffect<TStep extends ShipmentStep> {
  /**
   * Why repeating the step the shipment last took is a conflict (completing "Shipment shp_… is <status>; …"), or
   * undefined when the repeat is answered with the row unchanged.
   */
  repeatConflict(row: ShipmentTable, input: StepInputs[TStep]): string | undefined;
  /** The row after the step with its input, or a validation error; `now` is the step's time. */
  next(row: ShipmentTable, input: StepInputs[TStep], now: string): ShipmentTable;
  /** The tracking line's code. */
  readonly code: string;
  description(next: ShipmentTable): string;
  /** When the step happened, as the row it left says. */
  at(next: ShipmentTable): string;
  /** Where it happened, when the caller does not say. */
  location(next: ShipmentTable): string | undefined;
}

const answeredUnchanged = () => undefined;
const stepTime = (next: ShipmentTable) => next.updated_at;
const nowhere = () => undefined;

/**
 * Each step's effect, keyed by step so that `SHIPMENT_STEPS[step]` is the effect of that very step, its input
 * typed to match (a switch over `step` could not narrow a generic input without casts).
 */
export const SHIPMENT_STEPS: { readonly [TStep in ShipmentStep]: StepEffect<TStep> } = {
  pick: {
    repeatConflict: answeredUnchanged,
    next: (row, pick, now) => ({
      ...row,
      updated_at: now,
      status: "PICKED",
      picked_at: now,
      warehouse_location: pick?.warehouseLocation ?? null,
    }),
    code: "picked",
    description: () => "Items picked.",
    at: stepTime,
    location: (next) => next.warehouse_location ?? undefined,
  },
  pack: {
    repeatConflict: answeredUnchanged,
    next: (row, pack, now) => ({
      ...row,
      updated_at: now,
      status: "PACKED",
      packed_at: now,
      weight_grams: pack?.weightGrams ?? null,
      package_count: pack?.packageCount ?? 1,
    }),
    code: "packed",
    description: (next) =>
      `Packed in ${next.package_count ?? 1} parcel${(next.package_count ?? 1) === 1 ? "" : "s"}${next.weight_grams ? ` (${next.weight_grams} g)` : ""}.`,
    at: stepTime,
    location: nowhere,
  },
  ship: {
    // Shipping again with another tracking number is not the same step taken twice.
    repeatConflict: (row, ship) =>
      ship.trackingNumber !== row.tracking_number
        ? `it was shipped with tracking number ${row.tracking_number}, not ${ship.trackingNumber}`
        : undefined,
    next: (row, ship, now) => ({
      ...row,
      updated_at: now,
      status: "SHIPPED",
      shipped_at: now,
      carrier: ship.carrier,
      tracking_number: ship.trackingNumber,
      tracking_url: ship.trackingUrl ?? null,
      estimated_delivery_date: ship.estimatedDeliveryDate ?? null,
    }),
    code: "handed_to_carrier",
    description: (next) => `Collected by ${next.carrier}.`,
    at: (next) => next.shipped_at!,
    location: nowhere,
  },
  deliver: {
    repeatConflict: answeredUnchanged,
    next: (row, deliver, now) => {
      // The carrier reports a delivery when its scan fell due, so the time may be earlier than now, never later.
      const deliveredAt = deliver?.deliveredAt ? new Date(deliver.deliveredAt).toISOString() : now;
      if (deliveredAt > now) throw fail.validation("/deliveredAt", "must not be in the future");
      if (row.shipped_at && deliveredAt < row.shipped_at)
        throw fail.validation("/deliveredAt", `must not be before the shipment was shipped (${row.shipped_at})`);
      return {
        ...row,
        updated_at: now,
        status: "DELIVERED",
        delivered_at: deliveredAt,
        signed_by: deliver?.signedBy ?? null,
      };
    },
    code: "delivered",
    description: (next) => (next.signed_by ? `Delivered; signed by ${next.signed_by}.` : "Delivered."),
    at: (next) => next.delivered_at!,
    location: nowhere,
  },
};
