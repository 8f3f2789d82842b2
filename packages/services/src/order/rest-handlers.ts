import type { orderApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, signedIn } from "../platform/index.js";
import type { CheckoutSaga } from "./checkout-saga.js";
import { cancelOrder, payOrder, updateOrderStatus, visibleOrder } from "./order-commands.js";
import { awaitCreatedOrder, type OrderCreationWait } from "./order-creation-wait.js";
import { readOrderHistory, readOrderList } from "./order-list-reads.js";
import { answering } from "./order-problem-answers.js";
import type { OrderStatements } from "./order-statements.js";
import { checkoutResource, orderResource } from "./order-views.js";
import type { OrderDatabase } from "./store.js";

type Runtime = ContextRuntime<OrderDatabase>;

/** What the REST handlers need besides the runtime. */
export interface OrderRestOptions {
  /**
   * How long `POST /orders` waits (real milliseconds) for the checkout's saga to create and pay the order before it
   * answers 202 with the checkout to poll.
   */
  readonly createOrderWaitMs: number;
}

/** The order context's REST operations (contracts/openapi/order.yaml). */
export function createRestHandlers(
  runtime: Runtime,
  saga: CheckoutSaga,
  statements: OrderStatements,
  options: OrderRestOptions,
): RestHandlers<orderApi.operations> {
  const { db } = runtime;
  const creation: OrderCreationWait = { runtime, saga, statements, waitMs: options.createOrderWaitMs };

  return {
    createOrder: ({ body, principal, correlationId }) =>
      answering("/orders", correlationId, () => awaitCreatedOrder(creation, body.checkoutId, signedIn(principal))),

    getCheckout: async ({ path, principal }) => {
      const who = signedIn(principal);
      const checkout = await statements.readCheckout.executeTakeFirst(db, { checkoutId: path.checkoutId });
      if (!checkout || (who.role !== "admin" && checkout.customer_id !== who.customerId)) {
        throw fail.notFound(`checkout ${path.checkoutId}`);
      }
      return { status: 200, body: checkoutResource(checkout) };
    },

    getOrder: async ({ path, principal }) => ({
      status: 200,
      body: orderResource(await visibleOrder(runtime, path.orderId, signedIn(principal))),
    }),

    listOrders: async ({ query, principal }) => ({
      status: 200,
      body: await readOrderList(db, signedIn(principal), query),
    }),

    getOrderHistory: async ({ path, query, principal }) => {
      await visibleOrder(runtime, path.orderId, signedIn(principal));
      return { status: 200, body: await readOrderHistory(db, path.orderId, query) };
    },

    cancelOrder: async ({ path, body, principal }) => {
      const record = await cancelOrder(runtime, saga, {
        orderId: path.orderId,
        principal: signedIn(principal),
        reason: body.reason,
        note: body.note,
      });
      return { status: 200, body: orderResource(record) };
    },

    payOrder: ({ path, body, principal, correlationId }) =>
      answering(`/orders/${path.orderId}/pay`, correlationId, async () => {
        const record = await payOrder(runtime, saga, {
          orderId: path.orderId,
          principal: signedIn(principal),
          paymentToken: body?.paymentToken,
        });
        return { status: 200 as const, body: orderResource(record) };
      }),

    updateOrderStatus: ({ path, body, principal, correlationId }) =>
      answering(`/orders/${path.orderId}/status`, correlationId, async () => {
        const record = await updateOrderStatus(runtime, {
          orderId: path.orderId,
          principal: signedIn(principal),
          status: body.status,
          carrier: body.carrier,
          trackingNumber: body.trackingNumber,
          note: body.note,
        });
        return { status: 200 as const, body: orderResource(record) };
      }),
  };
}
