import { create } from "@bufbuild/protobuf";
import type { fulfilmentApi } from "@ecom/sdk";
import { fulfilmentV1 } from "@ecom/sdk/rpc";
import { enumNames, protoAddressOf, protoMoneyOf, protoTimeIfAny, protoTimeOf } from "../platform/index.js";

type Schemas = fulfilmentApi.components["schemas"];
const { ShipmentStatus, ReturnReason, ReturnCondition, ReturnStatus } = fulfilmentV1;

/** The contract's shipment statuses as the proto enum. */
export const SHIPMENT_STATUS: Readonly<Record<Schemas["ShipmentStatus"], fulfilmentV1.ShipmentStatus>> = {
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
/** A proto shipment status as the contract names it (a request's filter). */
export const shipmentStatusName = enumNames(SHIPMENT_STATUS);
/** A proto return reason as the contract names it. */
export const returnReasonName = enumNames(RETURN_REASON);
/** A proto return condition as the contract names it. */
export const returnConditionName = enumNames(RETURN_CONDITION);

/** The contract's Shipment as the proto Shipment (absent steps as proto3's zero values). */
export function protoShipment(shipment: Schemas["Shipment"]): fulfilmentV1.Shipment {
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
export function protoReturn(row: Schemas["Return"]): fulfilmentV1.Return {
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
