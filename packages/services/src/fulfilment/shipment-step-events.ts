import type { Transaction } from "kysely";
import type { Outbox } from "../platform/index.js";
import { returnWindowEnd, type ShipmentStep } from "./shipment-rules.js";
import { fulfilmentIdOf, shipmentLines } from "./shipment-views.js";
import type { FulfilmentDatabase, ShipmentTable } from "./store.js";

/**
 * Publish the event of the step that left `row` (none for a pick), in the transaction that records it, keyed by
 * its order and carrying its order's correlation id.
 */
export async function publishStepEvent(
  outbox: Outbox<FulfilmentDatabase>,
  trx: Transaction<FulfilmentDatabase>,
  row: ShipmentTable,
  step: ShipmentStep,
): Promise<void> {
  const options = { partitionKey: row.order_id, correlationId: row.correlation_id };
  const lines = shipmentLines(row);
  if (step === "pack") {
    await outbox.publish(
      trx,
      "ecommerce.fulfilment.fulfilment.ready_for_shipping.v1",
      {
        fulfilmentId: fulfilmentIdOf(row),
        shipmentId: row.shipment_id,
        orderId: row.order_id,
        customerId: row.customer_id,
        items: lines.map(({ productId, isbn, quantity }) => ({ productId, isbn, quantity })),
        packageCount: row.package_count ?? 1,
        ...(row.weight_grams !== null ? { weightGrams: row.weight_grams } : {}),
        packedAt: row.packed_at!,
      },
      options,
    );
  } else if (step === "ship") {
    await outbox.publish(
      trx,
      "ecommerce.fulfilment.shipment.shipped.v1",
      {
        shipmentId: row.shipment_id,
        orderId: row.order_id,
        customerId: row.customer_id,
        carrier: row.carrier!,
        trackingNumber: row.tracking_number!,
        ...(row.tracking_url !== null ? { trackingUrl: row.tracking_url } : {}),
        ...(row.estimated_delivery_date !== null ? { estimatedDeliveryDate: row.estimated_delivery_date } : {}),
        shippedAt: row.shipped_at!,
      },
      options,
    );
  } else if (step === "deliver") {
    await outbox.publish(
      trx,
      "ecommerce.fulfilment.shipment.delivered.v1",
      {
        shipmentId: row.shipment_id,
        orderId: row.order_id,
        customerId: row.customer_id,
        carrier: row.carrier!,
        trackingNumber: row.tracking_number!,
        ...(row.signed_by !== null ? { signedBy: row.signed_by } : {}),
        deliveredAt: row.delivered_at!,
        returnWindowEndsAt: returnWindowEnd(row.delivered_at!),
      },
      options,
    );
  }
}
