import type { MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { keptAddress } from "../platform/address-tuple.js";
import type { Clock, Ids } from "../platform/index.js";
import type { ShipmentStatements } from "./shipment-statements.js";
import { keptLines, type ShipmentLine } from "./shipment-views.js";
import type { FulfilmentDatabase } from "./store.js";

/** What opening a shipment needs, made once with the context. */
export interface ShipmentOpening {
  readonly statements: ShipmentStatements;
  readonly clock: Clock;
  readonly ids: Ids;
}

/** Open the shipment of a paid order, PENDING, in `trx`: once, since a redelivered order.paid finds it open. */
export async function openShipment(
  { statements, clock, ids }: ShipmentOpening,
  trx: Transaction<FulfilmentDatabase>,
  message: MessageOf<"ecommerce.order.order.paid.v1">,
): Promise<void> {
  const paid = message.payload;
  const known = await statements.shipmentOfOrder.executeTakeFirst(trx, { orderId: paid.orderId });
  if (known) return;
  const now = clock.now().toISOString();
  const lines: ShipmentLine[] = paid.items.map(({ productId, isbn, title, quantity, unitPrice }) => ({
    productId,
    isbn,
    title,
    quantity,
    unitPrice,
  }));
  // Neither the work order's id nor the opening tracking line is stored: both follow from the row
  // (shipment-views.ts), ~250 bytes and a statement fewer a checkout.
  await statements.insertShipment.execute(trx, {
    shipment_id: ids.next("shp"),
    fulfilment_id: null,
    order_id: paid.orderId,
    customer_id: paid.customerId,
    status: "PENDING",
    items: keptLines(lines),
    shipping_address: keptAddress(paid.shippingAddress),
    payment_id: paid.paymentId,
    correlation_id: message.correlationId,
    warehouse_location: null,
    weight_grams: null,
    package_count: null,
    carrier: null,
    tracking_number: null,
    tracking_url: null,
    estimated_delivery_date: null,
    signed_by: null,
    created_at: now,
    updated_at: now,
    picked_at: null,
    packed_at: null,
    shipped_at: null,
    delivered_at: null,
    canceled_at: null,
  });
}
