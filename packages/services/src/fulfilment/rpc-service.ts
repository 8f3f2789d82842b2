import { create } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import type { fulfilmentApi } from "@ecom/sdk";
import { fulfilmentV1 } from "@ecom/sdk/rpc";
import {
  answerWithOperation,
  type ContextRuntime,
  contractTimeOf,
  type Ids,
  ifGiven,
  pageQueryOf,
  protoPageOf,
  protoTimeOf,
  type RestHandlers,
} from "../platform/index.js";
import {
  protoReturn,
  protoShipment,
  returnConditionName,
  returnReasonName,
  SHIPMENT_STATUS,
  shipmentStatusName,
} from "./fulfilment-protos.js";
import type { FulfilmentDatabase } from "./store.js";

type Rest = RestHandlers<fulfilmentApi.operations>;
type Service = ServiceImpl<typeof fulfilmentV1.FulfilmentService>;

const operation = (operationId: keyof fulfilmentApi.operations) => ({ context: "fulfilment", operationId });

/**
 * FulfilmentService: fulfilment.yaml's operations over Connect, answered by the same handlers as REST (see
 * answerWithOperation), so the warehouse's state machine, ownership of shipments and returns, and the exactly-once
 * refund of a received return are the REST ones.
 */
export function registerFulfilmentService(
  router: ConnectRouter,
  runtime: ContextRuntime<FulfilmentDatabase>,
  rest: Rest,
): void {
  const { ids } = runtime;
  router.service(fulfilmentV1.FulfilmentService, {
    ...shipmentReads(rest, ids),
    ...warehouseSteps(rest, ids),
    ...returnMethods(rest, ids),
  });
}

/** Listing and reading shipments and their tracking. */
function shipmentReads(rest: Rest, ids: Ids): Pick<Service, "listShipments" | "getShipment" | "getShipmentTracking"> {
  return {
    async listShipments(request, context) {
      const { body } = await answerWithOperation(
        operation("listShipments"),
        rest.listShipments,
        {
          path: {},
          query: {
            ...pageQueryOf(request.page),
            ...ifGiven("orderId", request.orderId),
            ...(request.statuses.length === 0
              ? {}
              : { status: request.statuses.map((status, index) => shipmentStatusName(status, `statuses/${index}`)) }),
          },
          body: undefined,
        },
        { context, ids },
      );
      return create(fulfilmentV1.ListShipmentsResponseSchema, {
        shipments: body.items.map(protoShipment),
        page: protoPageOf(body.page),
      });
    },

    async getShipment(request, context) {
      const { body } = await answerWithOperation(
        operation("getShipment"),
        rest.getShipment,
        { path: { shipmentId: request.shipmentId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(fulfilmentV1.GetShipmentResponseSchema, { shipment: protoShipment(body) });
    },

    async getShipmentTracking(request, context) {
      const { body } = await answerWithOperation(
        operation("getShipmentTracking"),
        rest.getShipmentTracking,
        { path: { shipmentId: request.shipmentId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(fulfilmentV1.GetShipmentTrackingResponseSchema, {
        shipmentId: body.shipmentId,
        orderId: body.orderId,
        status: SHIPMENT_STATUS[body.status],
        carrier: body.carrier ?? "",
        trackingNumber: body.trackingNumber ?? "",
        trackingUrl: body.trackingUrl ?? "",
        estimatedDeliveryDate: body.estimatedDeliveryDate ?? "",
        events: body.events.map((event) => ({
          code: event.code,
          description: event.description,
          location: event.location ?? "",
          occurredAt: protoTimeOf(event.occurredAt),
        })),
      });
    },
  };
}

/** The warehouse's and the carrier's steps of a shipment. */
function warehouseSteps(
  rest: Rest,
  ids: Ids,
): Pick<Service, "pickShipment" | "packShipment" | "shipShipment" | "deliverShipment"> {
  return {
    async pickShipment(request, context) {
      const { body } = await answerWithOperation(
        operation("pickShipment"),
        rest.pickShipment,
        {
          path: { shipmentId: request.shipmentId },
          query: {},
          body: { ...ifGiven("warehouseLocation", request.warehouseLocation) },
        },
        { context, ids },
      );
      return create(fulfilmentV1.PickShipmentResponseSchema, { shipment: protoShipment(body) });
    },

    async packShipment(request, context) {
      const { body } = await answerWithOperation(
        operation("packShipment"),
        rest.packShipment,
        {
          path: { shipmentId: request.shipmentId },
          query: {},
          // The contract's default is 1 package; proto3 sends 0 for a count left out.
          body: {
            ...ifGiven("weightGrams", request.weightGrams),
            packageCount: request.packageCount === 0 ? 1 : request.packageCount,
          },
        },
        { context, ids },
      );
      return create(fulfilmentV1.PackShipmentResponseSchema, { shipment: protoShipment(body) });
    },

    async shipShipment(request, context) {
      const { body } = await answerWithOperation(
        operation("shipShipment"),
        rest.shipShipment,
        {
          path: { shipmentId: request.shipmentId },
          query: {},
          body: {
            carrier: request.carrier,
            trackingNumber: request.trackingNumber,
            ...ifGiven("trackingUrl", request.trackingUrl),
            ...ifGiven("estimatedDeliveryDate", request.estimatedDeliveryDate),
          },
        },
        { context, ids },
      );
      return create(fulfilmentV1.ShipShipmentResponseSchema, { shipment: protoShipment(body) });
    },

    async deliverShipment(request, context) {
      const { body } = await answerWithOperation(
        operation("deliverShipment"),
        rest.deliverShipment,
        {
          path: { shipmentId: request.shipmentId },
          query: {},
          body: {
            ...(request.deliveredAt ? { deliveredAt: contractTimeOf(request.deliveredAt) } : {}),
            ...ifGiven("signedBy", request.signedBy),
          },
        },
        { context, ids },
      );
      return create(fulfilmentV1.DeliverShipmentResponseSchema, { shipment: protoShipment(body) });
    },
  };
}

/** Requesting, reading and receiving returns. */
function returnMethods(rest: Rest, ids: Ids): Pick<Service, "requestReturn" | "getReturn" | "receiveReturn"> {
  return {
    async requestReturn(request, context) {
      const { body } = await answerWithOperation(
        operation("requestReturn"),
        rest.requestReturn,
        {
          path: {},
          query: {},
          body: {
            orderId: request.orderId,
            items: request.items.map((item) => ({ productId: item.productId, quantity: item.quantity })),
            reason: returnReasonName(request.reason, "reason"),
            ...ifGiven("comment", request.comment),
          },
        },
        { context, ids },
      );
      return create(fulfilmentV1.RequestReturnResponseSchema, { return: protoReturn(body) });
    },

    async getReturn(request, context) {
      const { body } = await answerWithOperation(
        operation("getReturn"),
        rest.getReturn,
        { path: { returnId: request.returnId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(fulfilmentV1.GetReturnResponseSchema, { return: protoReturn(body) });
    },

    async receiveReturn(request, context) {
      const { body } = await answerWithOperation(
        operation("receiveReturn"),
        rest.receiveReturn,
        {
          path: { returnId: request.returnId },
          query: {},
          body: { condition: returnConditionName(request.condition, "condition"), ...ifGiven("note", request.note) },
        },
        { context, ids },
      );
      return create(fulfilmentV1.ReceiveReturnResponseSchema, { return: protoReturn(body) });
    },
  };
}
