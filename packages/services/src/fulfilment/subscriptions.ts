import type { ContextParts } from "../platform/index.js";
import type { Shipments } from "./shipments.js";
import type { FulfilmentDatabase } from "./store.js";

/**
 * What fulfilment consumes (contracts/contexts.yaml): a paid order opens its shipment, a canceled one stops it.
 * Each handler runs in the transaction that moves fulfilment's cursor past the event, so an event takes effect once:
 * a crash undoes both, and an event the cursor has passed is not delivered again.
 */
export function createSubscriptions(
  shipments: Shipments,
): NonNullable<ContextParts<FulfilmentDatabase>["subscriptions"]> {
  return {
    "ecommerce.order.order.paid.v1": (message, trx) => shipments.open(trx, message),
    "ecommerce.order.order.canceled.v1": (message, trx) =>
      shipments.cancelForOrder(trx, message.payload.orderId, message.payload.canceledAt),
  };
}
