import type { Generated } from "kysely";

/**
 * The fulfilment context's own database. Timestamps are ISO strings (UTC), so they compare as text in the order
 * they happened. One shipment per paid order; its pick/pack work order (`fulfilment_id`) is one to one with it.
 */
export interface FulfilmentDatabase {
  shipments: ShipmentTable;
  tracking_events: TrackingEventTable;
  carrier_legs: CarrierLegTable;
  returns: ReturnTable;
}

/** A shipment; `order_id` is unique, which makes order.paid opening it idempotent. */
export interface ShipmentTable {
  shipment_id: string;
  /**
   * The work order's id when it was stored; null for shipments opened since migration 0003, whose work order is
   * `ful_` + the shipment id's ULID, never stored (shipment-views.ts `fulfilmentIdOf`).
   */
  fulfilment_id: string | null;
  order_id: string;
  customer_id: string;
  /** PENDING, PICKED, PACKED, SHIPPED, DELIVERED or CANCELED. */
  status: string;
  /**
   * The lines from order.paid, `{ productId, isbn, title, quantity, unitPrice: { amount, currency } }` each, as JSON
   * tuples or (rows written before) objects: read with shipment-views.ts `shipmentLines`.
   */
  items: string;
  /** The Address snapshot from order.paid (platform/address-tuple.ts): read with `addressOf`. */
  shipping_address: string;
  /** The payment a return refunds, from order.paid. */
  payment_id: string;
  /** The order's flow (its checkout): every event about the shipment carries it. */
  correlation_id: string;
  warehouse_location: string | null;
  weight_grams: number | null;
  package_count: number | null;
  carrier: string | null;
  tracking_number: string | null;
  tracking_url: string | null;
  estimated_delivery_date: string | null;
  signed_by: string | null;
  created_at: string;
  updated_at: string;
  picked_at: string | null;
  packed_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  canceled_at: string | null;
}

/**
 * One line of a shipment's tracking, oldest first by `seq`. The first line, `created` at the shipment's `created_at`,
 * is not stored (shipment-views.ts `toTracking` writes it; migration 0003 deleted the stored ones).
 */
export interface TrackingEventTable {
  /** Given by the store (an identity column on PostgreSQL refuses an explicit null, which SQLite took for "next"). */
  seq: Generated<number>;
  shipment_id: string;
  code: string;
  description: string;
  location: string | null;
  occurred_at: string;
}

/**
 * The simulated carrier's plan for a shipped parcel: the scans it will report and when (virtual time). A leg is
 * done once reported; the last one delivers.
 */
export interface CarrierLegTable {
  shipment_id: string;
  position: number;
  /** in_transit, out_for_delivery or delivered. */
  code: string;
  location: string | null;
  due_at: string;
  /** When it was reported, or when the parcel was lost before it (then `lost` is 1). */
  done_at: string | null;
  lost: number;
}

/** A return merchandise authorization. */
export interface ReturnTable {
  return_id: string;
  rma_number: string;
  order_id: string;
  shipment_id: string;
  customer_id: string;
  /** REQUESTED or RECEIVED. */
  status: string;
  /** JSON `[{ productId, isbn, title, quantity, unitPrice }]`. */
  items: string;
  reason: string;
  comment: string | null;
  refund_amount: number;
  currency: string;
  condition: string | null;
  receive_note: string | null;
  correlation_id: string;
  requested_at: string;
  received_at: string | null;
  updated_at: string;
  /**
   * Stock back through inventory's RestockReturn: null while REQUESTED; PENDING once received in SELLABLE
   * condition, then DONE; SKIPPED for goods that are not put back (DAMAGED, MISSING_ITEMS).
   */
  restock_state: string | null;
  /**
   * The refund through payment, persisted before it is asked for: null while REQUESTED, PENDING once received
   * (the return id is the refund's idempotency key, so asking again after a crash refunds once), then DONE, or FAILED
   * when payment refused it; HELD for MISSING_ITEMS, which an admin refunds by hand for what did arrive.
   */
  refund_state: string | null;
  refund_id: string | null;
  refund_attempts: number;
  refund_error: string | null;
}
