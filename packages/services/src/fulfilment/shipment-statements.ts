import type { Kysely, Transaction } from "kysely";
import { compileQuery, fail, type Param } from "../platform/index.js";
import type { FulfilmentDatabase, ShipmentTable } from "./store.js";

/**
 * The statements every paid order's shipment runs (opening it, and a tracking line at each step), built and
 * compiled once when the context is made (see compileQuery).
 */
export function createShipmentStatements(db: Kysely<FulfilmentDatabase>) {
  return {
    insertTracking: compileQuery(
      (param: Param<{ shipmentId: string; code: string; description: string; location: string | null; at: string }>) =>
        db.insertInto("tracking_events").values({
          shipment_id: param("shipmentId"),
          code: param("code"),
          description: param("description"),
          location: param("location"),
          occurred_at: param("at"),
        }),
    ),
    shipmentOfOrder: compileQuery((param: Param<{ orderId: string }>) =>
      db.selectFrom("shipments").select("shipment_id").where("order_id", "=", param("orderId")),
    ),
    insertShipment: compileQuery((param: Param<ShipmentTable>) =>
      db.insertInto("shipments").values({
        shipment_id: param("shipment_id"),
        fulfilment_id: param("fulfilment_id"),
        order_id: param("order_id"),
        customer_id: param("customer_id"),
        status: param("status"),
        items: param("items"),
        shipping_address: param("shipping_address"),
        payment_id: param("payment_id"),
        correlation_id: param("correlation_id"),
        warehouse_location: param("warehouse_location"),
        weight_grams: param("weight_grams"),
        package_count: param("package_count"),
        carrier: param("carrier"),
        tracking_number: param("tracking_number"),
        tracking_url: param("tracking_url"),
        estimated_delivery_date: param("estimated_delivery_date"),
        signed_by: param("signed_by"),
        created_at: param("created_at"),
        updated_at: param("updated_at"),
        picked_at: param("picked_at"),
        packed_at: param("packed_at"),
        shipped_at: param("shipped_at"),
        delivered_at: param("delivered_at"),
        canceled_at: param("canceled_at"),
      }),
    ),
  };
}

/** The shipments' compiled statements. */
export type ShipmentStatements = ReturnType<typeof createShipmentStatements>;

/** The shipment `shipmentId`, read in `trx`; 404 when there is none. */
export async function shipmentRow(trx: Transaction<FulfilmentDatabase>, shipmentId: string): Promise<ShipmentTable> {
  const row = await trx.selectFrom("shipments").selectAll().where("shipment_id", "=", shipmentId).executeTakeFirst();
  if (!row) throw fail.notFound(`shipment ${shipmentId}`);
  return row;
}
