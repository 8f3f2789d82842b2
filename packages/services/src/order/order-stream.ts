import type { EcomMessage, MessageType } from "@ecom/sdk";
import { type ContextRuntime, fail, type SocketConnection, type SocketSource, signedIn } from "../platform/index.js";
import type { OrderDatabase } from "./store.js";

/** The order lifecycle events `GET /ws/orders` pushes (contracts/asyncapi/order.yaml `ecommerce.order.order.*.v1`). */
export const ORDER_STREAM_TYPES = [
  "ecommerce.order.order.created.v1",
  "ecommerce.order.order.paid.v1",
  "ecommerce.order.order.canceled.v1",
  "ecommerce.order.order.fulfilled.v1",
  "ecommerce.order.order.shipped.v1",
  "ecommerce.order.order.delivered.v1",
] as const satisfies readonly MessageType[];

type OrderStreamMessage = Extract<EcomMessage, { eventType: (typeof ORDER_STREAM_TYPES)[number] }>;

/**
 * `streamOrders` (`GET /ws/orders`): a customer's socket carries the events of their own orders, an admin's every
 * order's; `orderId` (query or subscribe message) narrows it to the chosen orders. Following an order the caller may
 * not see is refused as not found, as reading it is, so a customer cannot learn which order ids exist.
 */
export function createOrderStream(runtime: ContextRuntime<OrderDatabase>): SocketSource {
  return {
    types: ORDER_STREAM_TYPES,
    subscriptionKey: "orderId",
    async authorize(orderId, connection) {
      const caller = signedIn(connection.principal);
      const order = await runtime.db
        .selectFrom("orders")
        .select("customer_id")
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      if (!order || (caller.role !== "admin" && order.customer_id !== caller.customerId)) {
        throw fail.notFound(`order ${orderId}`);
      }
    },
    accepts(message, connection: SocketConnection) {
      const { principal, subscriptions } = connection;
      // Every order event's payload names the order and its customer (checked in the contract).
      const { orderId, customerId } = (message as OrderStreamMessage).payload;
      if (!principal || (principal.role !== "admin" && customerId !== principal.customerId)) return false;
      return subscriptions === undefined || subscriptions.has(orderId);
    },
  };
}
