import { fulfilmentV1 } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, Code, outcome, type RpcKit, startRpcKit } from "./rpc-kit.js";

// FulfilmentService over the public port: the warehouse's steps need the admin role, a customer reaches only the
// shipments and returns of their own orders, the answers are the REST ones, and refused calls change nothing.

const { ShipmentStatus, ReturnReason, ReturnCondition, ReturnStatus } = fulfilmentV1;

let kit: RpcKit;
let owner: Caller;
let stranger: Caller;
let admin: Caller;
let order: { orderId: string; productId: string };
let shipmentId: string;

beforeAll(async () => {
  kit = await startRpcKit(37);
  owner = await kit.customer();
  stranger = await kit.customer();
  admin = await kit.admin();
  order = await kit.shop.paidOrder(owner, { quantity: 2 });
  const { shipments } = await kit
    .client(fulfilmentV1.FulfilmentService, admin.token)
    .listShipments({ orderId: order.orderId });
  shipmentId = shipments[0]!.shipmentId;
});
afterAll(() => kit.close());

const warehouse = () => kit.client(fulfilmentV1.FulfilmentService, admin.token);

/** Nothing changed: the same last event and the shipment still in `status`. */
async function unchanged(seq: number, status: string) {
  await kit.platform.settle();
  expect(await kit.platform.eventLog.lastSeq()).toBe(seq);
  const { data } = await admin.client.fulfilment.getShipment({ params: { path: { shipmentId } } });
  expect(data?.status).toBe(status);
}

describe("FulfilmentService over Connect on the public port", () => {
  it("lists and reads shipments as REST does", async () => {
    const listed = await warehouse().listShipments({ orderId: order.orderId, statuses: [ShipmentStatus.PENDING] });
    const { data: page } = await admin.client.fulfilment.listShipments({
      params: { query: { orderId: order.orderId, status: ["PENDING"] } },
    });
    expect(listed.shipments.map((shipment) => shipment.shipmentId)).toEqual(page!.items.map((item) => item.shipmentId));
    expect(listed.page?.nextPageToken).toBe("");

    const { shipment } = await kit.client(fulfilmentV1.FulfilmentService, owner.token).getShipment({ shipmentId });
    const { data: rest } = await owner.client.fulfilment.getShipment({ params: { path: { shipmentId } } });
    expect({
      status: ShipmentStatus[shipment!.status],
      orderId: shipment!.orderId,
      customerId: shipment!.customerId,
      items: shipment!.items.map((item) => [item.productId, item.isbn, item.quantity]),
      city: shipment!.shippingAddress?.city,
      createdAt: shipment!.createdAt?.seconds,
    }).toEqual({
      status: rest!.status,
      orderId: rest!.orderId,
      customerId: rest!.customerId,
      items: rest!.items.map((item) => [item.productId, item.isbn, item.quantity]),
      city: rest!.shippingAddress.city,
      createdAt: BigInt(Date.parse(rest!.createdAt) / 1000),
    });
  });

  it("refuses a customer on the warehouse's steps, strangers and anonymous callers, changing nothing", async () => {
    const seq = await kit.platform.eventLog.lastSeq();
    const customer = kit.client(fulfilmentV1.FulfilmentService, owner.token);
    const theirs = kit.client(fulfilmentV1.FulfilmentService, stranger.token);
    const anonymous = kit.client(fulfilmentV1.FulfilmentService, undefined);
    expect(
      await Promise.all([
        outcome(customer.pickShipment({ shipmentId })),
        outcome(customer.listShipments({})),
        outcome(theirs.getShipment({ shipmentId })),
        outcome(theirs.getShipmentTracking({ shipmentId })),
        outcome(anonymous.getShipment({ shipmentId })),
        outcome(anonymous.pickShipment({ shipmentId })),
      ]),
    ).toEqual([
      Code.PermissionDenied,
      Code.PermissionDenied,
      Code.NotFound,
      Code.NotFound,
      Code.Unauthenticated,
      Code.Unauthenticated,
    ]);
    await unchanged(seq, "PENDING");
  });

  it("refuses a step out of order with failed_precondition and a malformed one with invalid_argument", async () => {
    const seq = await kit.platform.eventLog.lastSeq();
    expect(await outcome(warehouse().shipShipment({ shipmentId, carrier: "ups", trackingNumber: "1Z999AA1" }))).toBe(
      Code.FailedPrecondition,
    );
    expect(await outcome(warehouse().shipShipment({ shipmentId, carrier: "UPS!", trackingNumber: "1Z999AA1" }))).toBe(
      Code.InvalidArgument,
    );
    expect(await outcome(warehouse().getShipment({ shipmentId: "shp_nope" }))).toBe(Code.InvalidArgument);
    await unchanged(seq, "PENDING");
  });

  it("moves the shipment to DELIVERED, and the order follows", async () => {
    expect((await warehouse().pickShipment({ shipmentId, warehouseLocation: "A-1-3" })).shipment?.status).toBe(
      ShipmentStatus.PICKED,
    );
    // Repeating the step just done answers the shipment unchanged.
    const again = await warehouse().pickShipment({ shipmentId, warehouseLocation: "A-1-3" });
    expect(again.shipment?.status).toBe(ShipmentStatus.PICKED);
    const packed = await warehouse().packShipment({ shipmentId, weightGrams: 800 });
    expect(packed.shipment).toMatchObject({ status: ShipmentStatus.PACKED, packageCount: 1, weightGrams: 800 });
    const shipped = await warehouse().shipShipment({ shipmentId, carrier: "ups", trackingNumber: "1Z999AA10000001" });
    expect(shipped.shipment).toMatchObject({ status: ShipmentStatus.SHIPPED, carrier: "ups" });
    const delivered = await warehouse().deliverShipment({ shipmentId, signedBy: "A. Neighbour" });
    expect(delivered.shipment).toMatchObject({ status: ShipmentStatus.DELIVERED, signedBy: "A. Neighbour" });
    await kit.platform.settle();

    const { data: placed } = await owner.client.order.getOrder({ params: { path: { orderId: order.orderId } } });
    expect(placed?.status).toBe("DELIVERED");
    const tracking = await kit.client(fulfilmentV1.FulfilmentService, owner.token).getShipmentTracking({ shipmentId });
    const { data: rest } = await owner.client.fulfilment.getShipmentTracking({ params: { path: { shipmentId } } });
    expect(tracking.events.map((event) => event.code)).toEqual(rest!.events.map((event) => event.code));
    expect(tracking).toMatchObject({ status: ShipmentStatus.DELIVERED, trackingNumber: "1Z999AA10000001" });
  });

  it("takes a return from the owner only, and the warehouse receives it", async () => {
    const returns = kit.client(fulfilmentV1.FulfilmentService, owner.token);
    const line = { productId: order.productId, quantity: 1 };
    const seq = await kit.platform.eventLog.lastSeq();
    expect(
      await outcome(
        kit
          .client(fulfilmentV1.FulfilmentService, stranger.token)
          .requestReturn({ orderId: order.orderId, items: [line], reason: ReturnReason.CHANGED_MIND }),
      ),
    ).toBe(Code.NotFound);
    expect(await outcome(returns.requestReturn({ orderId: order.orderId, items: [line] }))).toBe(Code.InvalidArgument);
    await kit.platform.settle();
    expect(await kit.platform.eventLog.lastSeq()).toBe(seq);

    const requested = (
      await returns.requestReturn({
        orderId: order.orderId,
        items: [line],
        reason: ReturnReason.CHANGED_MIND,
      })
    ).return!;
    expect(requested).toMatchObject({ status: ReturnStatus.REQUESTED, customerId: owner.customerId });
    const returnId = requested.returnId;
    expect(
      await Promise.all([
        outcome(kit.client(fulfilmentV1.FulfilmentService, stranger.token).getReturn({ returnId })),
        outcome(returns.receiveReturn({ returnId, condition: ReturnCondition.SELLABLE })),
      ]),
    ).toEqual([Code.NotFound, Code.PermissionDenied]);

    const received = (await warehouse().receiveReturn({ returnId, condition: ReturnCondition.SELLABLE })).return!;
    expect(received).toMatchObject({ status: ReturnStatus.RECEIVED, condition: ReturnCondition.SELLABLE });
    await kit.platform.settle();
    const { data: rest } = await owner.client.fulfilment.getReturn({ params: { path: { returnId } } });
    expect(rest).toMatchObject({ status: "RECEIVED", rmaNumber: received.rmaNumber });
    expect(Number(received.refundAmount!.amountMinor)).toBe(rest!.refundAmount.amount);
  });
});
