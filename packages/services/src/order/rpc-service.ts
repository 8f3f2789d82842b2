import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { orderApi } from "@ecom/sdk";
import { orderV1 } from "@ecom/sdk/rpc";
import {
  answerWithOperation,
  type ContextRuntime,
  ifGiven,
  pageQueryOf,
  protoPageOf,
  type RestHandlers,
} from "../platform/index.js";
import {
  cancellationReasonName,
  manualStatusName,
  orderStatusName,
  protoCheckout,
  protoOrder,
  protoOrderSummary,
  protoStatusChange,
} from "./order-protos.js";
import type { OrderDatabase } from "./store.js";

/**
 * OrderService: order.yaml's orders and checkouts over Connect, answered by the same handlers as REST (see
 * answerWithOperation), so ownership (another customer's order or checkout is not_found), who may cancel what, the
 * one order per checkout and the problems the contract names (`checkout_failed`, `invalid_transition`, a declined
 * card) are the REST ones.
 */
export function registerOrderService(
  router: ConnectRouter,
  runtime: ContextRuntime<OrderDatabase>,
  rest: RestHandlers<orderApi.operations>,
): void {
  const operation = (operationId: keyof orderApi.operations) => ({ context: "order", operationId });
  const { ids } = runtime;
  router.service(orderV1.OrderService, {
    async createOrder(request, context) {
      const result = await answerWithOperation(
        operation("createOrder"),
        rest.createOrder,
        { path: {}, query: {}, body: { checkoutId: request.checkoutId } },
        { context, ids },
      );
      if (result.status === 202)
        return create(orderV1.CreateOrderResponseSchema, {
          result: { case: "checkout", value: protoCheckout(result.body) },
        });
      return create(orderV1.CreateOrderResponseSchema, {
        result: { case: "order", value: protoOrder(result.body) },
        created: result.status === 201,
      });
    },

    async listOrders(request, context) {
      const { body } = await answerWithOperation(
        operation("listOrders"),
        rest.listOrders,
        {
          path: {},
          query: {
            ...pageQueryOf(request.page),
            ...ifGiven("customerId", request.customerId),
            ...(request.statuses.length === 0
              ? {}
              : { status: request.statuses.map((status, index) => orderStatusName(status, `statuses/${index}`)) }),
          },
          body: undefined,
        },
        { context, ids },
      );
      return create(orderV1.ListOrdersResponseSchema, {
        orders: body.items.map(protoOrderSummary),
        page: protoPageOf(body.page),
      });
    },

    async getOrder(request, context) {
      const { body } = await answerWithOperation(
        operation("getOrder"),
        rest.getOrder,
        { path: { orderId: request.orderId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(orderV1.GetOrderResponseSchema, { order: protoOrder(body) });
    },

    async payOrder(request, context) {
      const { body } = await answerWithOperation(
        operation("payOrder"),
        rest.payOrder,
        { path: { orderId: request.orderId }, query: {}, body: { ...ifGiven("paymentToken", request.paymentToken) } },
        { context, ids },
      );
      return create(orderV1.PayOrderResponseSchema, { order: protoOrder(body) });
    },

    async cancelOrder(request, context) {
      const { body } = await answerWithOperation(
        operation("cancelOrder"),
        rest.cancelOrder,
        {
          path: { orderId: request.orderId },
          query: {},
          body: { reason: cancellationReasonName(request.reason, "reason"), ...ifGiven("note", request.note) },
        },
        { context, ids },
      );
      return create(orderV1.CancelOrderResponseSchema, { order: protoOrder(body) });
    },

    async updateOrderStatus(request, context) {
      const { body } = await answerWithOperation(
        operation("updateOrderStatus"),
        rest.updateOrderStatus,
        {
          path: { orderId: request.orderId },
          query: {},
          body: {
            status: manualStatusName(request.status, "status"),
            ...ifGiven("carrier", request.carrier),
            ...ifGiven("trackingNumber", request.trackingNumber),
            ...ifGiven("note", request.note),
          },
        },
        { context, ids },
      );
      return create(orderV1.UpdateOrderStatusResponseSchema, { order: protoOrder(body) });
    },

    async getOrderHistory(request, context) {
      const { body } = await answerWithOperation(
        operation("getOrderHistory"),
        rest.getOrderHistory,
        { path: { orderId: request.orderId }, query: pageQueryOf(request.page), body: undefined },
        { context, ids },
      );
      return create(orderV1.GetOrderHistoryResponseSchema, {
        changes: body.items.map(protoStatusChange),
        page: protoPageOf(body.page),
      });
    },

    async getCheckout(request, context) {
      const { body } = await answerWithOperation(
        operation("getCheckout"),
        rest.getCheckout,
        { path: { checkoutId: request.checkoutId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(orderV1.GetCheckoutResponseSchema, { checkout: protoCheckout(body) });
    },
  });
}
