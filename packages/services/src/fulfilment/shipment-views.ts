import type { fulfilmentApi } from "@ecom/sdk";
import type { Selectable } from "kysely";
import { addressOf } from "../platform/address-tuple.js";
import type { ShipmentTable, TrackingEventTable } from "./store.js";

type Schemas = fulfilmentApi.components["schemas"];

/** A shipment as the contract shows it. */
export type Shipment = Schemas["Shipment"];
/** A line of a shipment with the price the order paid, as fulfilment keeps it for returns. */
export type ShipmentLine = Schemas["ShipmentItem"] & { readonly unitPrice: Schemas["ReturnItem"]["unitPrice"] };

/**
 * The id of a shipment's pick/pack work order: stored for shipments opened before migration 0003, otherwise `ful_`
 * followed by the shipment id's ULID (one work order per shipment, so it is as unique as the shipment id).
 */
export function fulfilmentIdOf(row: Pick<ShipmentTable, "shipment_id" | "fulfilment_id">): string {
  return row.fulfilment_id ?? `ful_${row.shipment_id.slice(row.shipment_id.indexOf("_") + 1)}`;
}

/** The first line of every shipment's tracking, written from the shipment rather than stored. */
export const OPENED_TRACKING = { code: "created", description: "Shipment opened for the paid order." } as const;

/**
 * A shipment's line as `shipments.items` keeps it: `[productId, isbn, title, quantity, amount, currency]`, its values
 * without their names (~75 bytes a line fewer, which keeps five shipments to a page instead of four). Rows written
 * before keep an array of objects, and read as they did; so does a line that would not read back exactly as a tuple.
 */
type LineTuple = [productId: string, isbn: string, title: string, quantity: number, amount: number, currency: string];

function lineOfTuple([productId, isbn, title, quantity, amount, currency]: LineTuple): ShipmentLine {
  return { productId, isbn, title, quantity, unitPrice: { amount, currency } };
}

/** What `shipments.items` keeps of `lines`: tuples when every line reads back exactly, else the objects. */
export function keptLines(lines: readonly ShipmentLine[]): string {
  const tuples = lines.map(
    (line): LineTuple => [
      line.productId,
      line.isbn,
      line.title,
      line.quantity,
      line.unitPrice.amount,
      line.unitPrice.currency,
    ],
  );
  const exact = tuples.every((tuple, index) => JSON.stringify(lineOfTuple(tuple)) === JSON.stringify(lines[index]));
  return JSON.stringify(exact ? tuples : lines);
}

/** The lines a shipment row holds (either form of `items`). */
export function shipmentLines(row: Pick<ShipmentTable, "items">): ShipmentLine[] {
  const parsed = JSON.parse(row.items) as (LineTuple | ShipmentLine)[];
  return parsed.map((line) => (Array.isArray(line) ? lineOfTuple(line) : line));
}

/** `shipments.items` as rows kept it before tuples (objects' JSON): what the canonical export shows. */
export function shipmentItemsText(items: string): string {
  return items.startsWith("[[") ? JSON.stringify(shipmentLines({ items })) : items;
}

/** The contract's Shipment for a row. */
export function toShipment(row: ShipmentTable): Shipment {
  return {
    shipmentId: row.shipment_id,
    fulfilmentId: fulfilmentIdOf(row),
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status as Shipment["status"],
    items: shipmentLines(row).map(({ productId, isbn, title, quantity }) => ({ productId, isbn, title, quantity })),
    shippingAddress: addressOf(row.shipping_address) as Shipment["shippingAddress"],
    ...(row.warehouse_location !== null ? { warehouseLocation: row.warehouse_location } : {}),
    ...(row.weight_grams !== null ? { weightGrams: row.weight_grams } : {}),
    ...(row.package_count !== null ? { packageCount: row.package_count } : {}),
    ...(row.carrier !== null ? { carrier: row.carrier } : {}),
    ...(row.tracking_number !== null ? { trackingNumber: row.tracking_number } : {}),
    ...(row.tracking_url !== null ? { trackingUrl: row.tracking_url } : {}),
    ...(row.estimated_delivery_date !== null ? { estimatedDeliveryDate: row.estimated_delivery_date } : {}),
    ...(row.signed_by !== null ? { signedBy: row.signed_by } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(row.picked_at !== null ? { pickedAt: row.picked_at } : {}),
    ...(row.packed_at !== null ? { packedAt: row.packed_at } : {}),
    ...(row.shipped_at !== null ? { shippedAt: row.shipped_at } : {}),
    ...(row.delivered_at !== null ? { deliveredAt: row.delivered_at } : {}),
    ...(row.canceled_at !== null ? { canceledAt: row.canceled_at } : {}),
  };
}

/** The contract's ShipmentTracking for a row and its stored tracking events (oldest first), after its opening. */
export function toTracking(
  row: ShipmentTable,
  events: readonly Selectable<TrackingEventTable>[],
): Schemas["ShipmentTracking"] {
  return {
    shipmentId: row.shipment_id,
    orderId: row.order_id,
    status: row.status as Shipment["status"],
    ...(row.carrier !== null ? { carrier: row.carrier } : {}),
    ...(row.tracking_number !== null ? { trackingNumber: row.tracking_number } : {}),
    ...(row.tracking_url !== null ? { trackingUrl: row.tracking_url } : {}),
    ...(row.estimated_delivery_date !== null ? { estimatedDeliveryDate: row.estimated_delivery_date } : {}),
    events: [
      { ...OPENED_TRACKING, occurredAt: row.created_at },
      ...events.map((event) => ({
        code: event.code as Schemas["TrackingEvent"]["code"],
        description: event.description,
        ...(event.location !== null ? { location: event.location } : {}),
        occurredAt: event.occurred_at,
      })),
    ],
  };
}
