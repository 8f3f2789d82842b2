import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { fulfilmentApi } from "@ecom/sdk";
import { fulfilmentV1 } from "@ecom/sdk/rpc";
import {
  answerWithOperation,
  type ContextRuntime,
  contractTimeOf,
  enumNames,
  ifGiven,
  pageQueryOf,
  protoAddressOf,
  protoMoneyOf,
  protoPageOf,
  protoTimeIfAny,
  protoTimeOf,
  type RestHandlers,
} from "../platform/index.js";
import type { FulfilmentDatabase } from "./store.js";

type Schemas = fulfilmentApi.components["schemas"];
const { ShipmentStatus, ReturnReason, ReturnCondition, ReturnStatus } = fulfilmentV1;

const SHIPMENT_STATUS: Readonly<Record<Schemas["ShipmentStatus"], fulfilmentV1.ShipmentStatus>> = {
  PENDING: ShipmentStatus.PENDING,
  PICKED: ShipmentStatus.PICKED,
  PACKED: ShipmentStatus.PACKED,
  SHIPPED: ShipmentStatus.SHIPPED,
  DELIVERED: ShipmentStatus.DELIVERED,
  CANCELED: ShipmentStatus.CANCELED,
};
const RETURN_REASON: Readonly<Record<Schemas["ReturnReason"], fulfilmentV1.ReturnReason>> = {
  damaged_in_transit: ReturnReason.DAMAGED_IN_TRANSIT,
  defective: ReturnReason.DEFECTIVE,
  wrong_item: ReturnReason.WRONG_ITEM,
  not_as_described: ReturnReason.NOT_AS_DESCRIBED,
  changed_mind: ReturnReason.CHANGED_MIND,
};
const RETURN_CONDITION: Readonly<Record<Schemas["ReturnCondition"], fulfilmentV1.ReturnCondition>> = {
  SELLABLE: ReturnCondition.SELLABLE,
  DAMAGED: ReturnCondition.DAMAGED,
  MISSING_ITEMS: ReturnCondition.MISSING_ITEMS,
};
const RETURN_STATUS: Readonly<Record<Schemas["Return"]["status"], fulfilmentV1.ReturnStatus>> = {
  REQUESTED: ReturnStatus.REQUESTED,
  RECEIVED: ReturnStatus.RECEIVED,
};
const shipmentStatusName = enumNames(SHIPMENT_STATUS);
const returnReasonName = enumNames(RETURN_REASON);
const returnConditionName = enumNames(RETURN_CONDITION);

/** The contract's Shipment as the proto Shipment (absent steps as proto3's zero values). */
function protoShipment(shipment: Schemas["Shipment"]): fulfilmentV1.Shipment {
  return create(fulfilmentV1.ShipmentSchema, {
    shipmentId: shipment.shipmentId,
    fulfilmentId: shipment.fulfilmentId,
    orderId: shipment.orderId,
    customerId: shipment.customerId,
    status: SHIPMENT_STATUS[shipment.status],
    items: shipment.items,
    shippingAddress: protoAddressOf(shipment.shippingAddress),
    warehouseLocation: shipment.warehouseLocation ?? "",
    weightGrams: shipment.weightGrams ?? 0,
    packageCount: shipment.packageCount ?? 0,
    carrier: shipment.carrier ?? "",
    trackingNumber: shipment.trackingNumber ?? "",
    trackingUrl: shipment.trackingUrl ?? "",
    estimatedDeliveryDate: shipment.estimatedDeliveryDate ?? "",
    signedBy: shipment.signedBy ?? "",
    createdAt: protoTimeOf(shipment.createdAt),
    updatedAt: protoTimeOf(shipment.updatedAt),
    pickedAt: protoTimeIfAny(shipment.pickedAt),
    packedAt: protoTimeIfAny(shipment.packedAt),
    shippedAt: protoTimeIfAny(shipment.shippedAt),
    deliveredAt: protoTimeIfAny(shipment.deliveredAt),
    canceledAt: protoTimeIfAny(shipment.canceledAt),
  });
}

/** The contract's Return as the proto Return. */
function protoReturn(row: Schemas["Return"]): fulfilmentV1.Return {
  return create(fulfilmentV1.ReturnSchema, {
    returnId: row.returnId,
    rmaNumber: row.rmaNumber,
    orderId: row.orderId,
    customerId: row.customerId,
    status: RETURN_STATUS[row.status],
    items: row.items.map((item) => ({ ...item, unitPrice: protoMoneyOf(item.unitPrice) })),
    reason: RETURN_REASON[row.reason],
    comment: row.comment ?? "",
    refundAmount: protoMoneyOf(row.refundAmount),
    returnAddress: protoAddressOf(row.returnAddress),
    condition: row.condition === undefined ? ReturnCondition.UNSPECIFIED : RETURN_CONDITION[row.condition],
    receiveNote: row.receiveNote ?? "",
    requestedAt: protoTimeOf(row.requestedAt),
    receivedAt: protoTimeIfAny(row.receivedAt),
    updatedAt: protoTimeOf(row.updatedAt),
  });
}

/**
 * FulfilmentService: fulfilment.yaml's operations over Connect, answered by the same handlers as REST (see
 * answerWithOperation), so the warehouse's state machine, ownership of shipments and returns, and the exactly-once
 * refund of a received return are the REST ones.
 */
export function registerFulfilmentService(
  router: ConnectRouter,
  runtime: ContextRuntime<FulfilmentDatabase>,
  rest: RestHandlers<fulfilmentApi.operations>,
): void {
  const operation = (operationId: keyof fulfilmentApi.operations) => ({ context: "fulfilment", operationId });
  const { ids } = runtime;
  router.service(fulfilmentV1.FulfilmentService, {
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
  });
}
