import { allContexts } from "@ecom/services";
import type { Platform } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBackends } from "../backends/backends.js";
import { PLATFORM_START_TIMEOUT, type PlatformOnBackend, startPlatformOn } from "../backends/platform-on.js";
import { quiet, shopAt } from "./shop.js";

// The life of an order after checkout, every context running: fulfilment opens a shipment for the paid order, the
// warehouse API or the simulated carrier moves it on, and the order follows from fulfilment's events.

describeBackends("the life of an order", (backend) => {
  let running: PlatformOnBackend;
  let platform: Platform;
  let shop: ReturnType<typeof shopAt>;

  beforeAll(async () => {
    running = await startPlatformOn(backend, { contexts: allContexts, seed: 14, log: quiet });
    platform = running.platform;
    shop = shopAt(platform);
  }, PLATFORM_START_TIMEOUT);
  afterAll(async () => {
    await running?.close();
  });

  async function shipmentOf(orderId: string) {
    const { client } = await shop.admin();
    const { data } = await client.fulfilment.listShipments({ params: { query: { orderId } } });
    return data!.items[0]!;
  }

  it("goes checkout → shipment → pick, pack, ship, deliver through the REST API → order DELIVERED, with its events in causal order under one correlation id", async () => {
    const shopper = await shop.register();
    const { orderId, correlationId } = await shop.paidOrder(shopper, { quantity: 2 });
    const { client: ops } = await shop.admin();

    const opened = await shipmentOf(orderId);
    expect(opened).toMatchObject({ orderId, customerId: shopper.customerId, status: "PENDING" });
    expect(opened.items[0]!.quantity).toBe(2);
    const path = { path: { shipmentId: opened.shipmentId } };

    expect(
      (await ops.fulfilment.pickShipment({ params: path, body: { warehouseLocation: "A-12-03" } })).data?.status,
    ).toBe("PICKED");
    expect(
      (await ops.fulfilment.packShipment({ params: path, body: { weightGrams: 900, packageCount: 1 } })).data?.status,
    ).toBe("PACKED");
    await platform.settle();
    expect((await shopper.client.order.getOrder({ params: { path: { orderId } } })).data?.status).toBe("FULFILLED");

    const shipped = await ops.fulfilment.shipShipment({
      params: path,
      body: { carrier: "ups", trackingNumber: "1Z999AA10123456784" },
    });
    expect(shipped.data?.status).toBe("SHIPPED");
    await platform.settle();
    expect((await shopper.client.order.getOrder({ params: { path: { orderId } } })).data?.status).toBe("SHIPPED");

    const delivered = await ops.fulfilment.deliverShipment({ params: path, body: { signedBy: "S. HOPPER" } });
    expect(delivered.data?.status).toBe("DELIVERED");
    await platform.settle();
    const order = (await shopper.client.order.getOrder({ params: { path: { orderId } } })).data!;
    expect(order.status).toBe("DELIVERED");

    const events = await shop.flow(correlationId);
    const types = events.map((event) => event.eventType);
    const life = [
      "ecommerce.cart.cart.checked_out.v1",
      "ecommerce.order.order.created.v1",
      "ecommerce.order.order.paid.v1",
      "ecommerce.fulfilment.fulfilment.ready_for_shipping.v1",
      "ecommerce.order.order.fulfilled.v1",
      "ecommerce.fulfilment.shipment.shipped.v1",
      "ecommerce.order.order.shipped.v1",
      "ecommerce.fulfilment.shipment.delivered.v1",
      "ecommerce.order.order.delivered.v1",
    ];
    const positions = life.map((type) => types.indexOf(type));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Each order status change names the fulfilment event that caused it.
    for (const [cause, effect] of [
      ["ecommerce.fulfilment.fulfilment.ready_for_shipping.v1", "ecommerce.order.order.fulfilled.v1"],
      ["ecommerce.fulfilment.shipment.shipped.v1", "ecommerce.order.order.shipped.v1"],
      ["ecommerce.fulfilment.shipment.delivered.v1", "ecommerce.order.order.delivered.v1"],
    ] as const) {
      const causeEvent = events.find((event) => event.eventType === cause)!;
      expect(events.find((event) => event.eventType === effect)!.envelope.causationId).toBe(causeEvent.eventId);
    }

    const { data: tracking } = await shopper.client.fulfilment.getShipmentTracking({ params: path });
    expect(tracking!.events.map((event) => event.code)).toEqual([
      "created",
      "picked",
      "packed",
      "handed_to_carrier",
      "delivered",
    ]);
  });

  it("is delivered by the simulated carrier as the virtual clock passes, without an admin call", async () => {
    const shopper = await shop.register();
    const { orderId } = await shop.paidOrder(shopper, { index: 1 });
    const { client: ops } = await shop.admin();
    const shipment = await shipmentOf(orderId);
    const path = { path: { shipmentId: shipment.shipmentId } };
    await ops.fulfilment.pickShipment({ params: path, body: {} });
    await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } });
    await ops.fulfilment.shipShipment({ params: path, body: { carrier: "simulated", trackingNumber: "SIM-0001" } });
    await platform.settle();

    // Access tokens last minutes of platform time: read as a freshly signed-in admin after each advance.
    await platform.advanceClock(24 * 3_600_000);
    let tracking = (await (await shop.admin()).client.fulfilment.getShipmentTracking({ params: path })).data!;
    expect(tracking.status).toBe("SHIPPED");
    expect(tracking.events.map((event) => event.code)).toContain("in_transit");

    await platform.advanceClock(24 * 3_600_000);
    const { client: later } = await shop.admin();
    tracking = (await later.fulfilment.getShipmentTracking({ params: path })).data!;
    expect(tracking.status).toBe("DELIVERED");
    expect(tracking.events.map((event) => event.code).slice(-3)).toEqual([
      "in_transit",
      "out_for_delivery",
      "delivered",
    ]);
    expect((await later.order.getOrder({ params: { path: { orderId } } })).data?.status).toBe("DELIVERED");
  });

  it("loses the parcel with the lost-parcel fault on: a delivery exception, never delivered", async () => {
    const shopper = await shop.register();
    const { orderId } = await shop.paidOrder(shopper, { index: 2 });
    const { client: ops } = await shop.admin();
    const shipment = await shipmentOf(orderId);
    const path = { path: { shipmentId: shipment.shipmentId } };
    await ops.fulfilment.pickShipment({ params: path, body: {} });
    await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } });
    await ops.fulfilment.shipShipment({ params: path, body: { carrier: "simulated", trackingNumber: "SIM-0002" } });
    const faults = await platform.handle({
      method: "POST",
      url: "/_sim/faults",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ carrierLosesParcels: true }),
    });
    expect(faults.status).toBe(200);
    try {
      await platform.advanceClock(3 * 24 * 3_600_000);
    } finally {
      platform.faults.carrierLosesParcels = false;
    }
    const { client: later } = await shop.admin();
    const tracking = (await later.fulfilment.getShipmentTracking({ params: path })).data!;
    expect(tracking.status).toBe("SHIPPED");
    expect(tracking.events.at(-1)?.code).toBe("delivery_exception");
    await platform.advanceClock(3 * 24 * 3_600_000);
    const { client: muchLater } = await shop.admin();
    expect((await muchLater.order.getOrder({ params: { path: { orderId } } })).data?.status).toBe("SHIPPED");
  });

  it("answers a repeated step unchanged, an out-of-order one 409, and a second tracking number 409", async () => {
    const shopper = await shop.register();
    const { orderId } = await shop.paidOrder(shopper, { index: 3 });
    const { client: ops } = await shop.admin();
    const shipment = await shipmentOf(orderId);
    const path = { path: { shipmentId: shipment.shipmentId } };

    const early = await ops.fulfilment.shipShipment({
      params: path,
      body: { carrier: "ups", trackingNumber: "1Z0001" },
    });
    expect(early.error?.status).toBe(409);
    expect(early.error?.code).toBe("shipment_state_conflict");
    const first = await ops.fulfilment.pickShipment({ params: path, body: { warehouseLocation: "B-1" } });
    const again = await ops.fulfilment.pickShipment({ params: path, body: { warehouseLocation: "B-1" } });
    expect(again.data).toEqual(first.data);
    await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } });
    await ops.fulfilment.shipShipment({ params: path, body: { carrier: "ups", trackingNumber: "1Z0001" } });
    const same = await ops.fulfilment.shipShipment({
      params: path,
      body: { carrier: "ups", trackingNumber: "1Z0001" },
    });
    expect(same.data?.status).toBe("SHIPPED");
    const other = await ops.fulfilment.shipShipment({
      params: path,
      body: { carrier: "ups", trackingNumber: "1Z0002" },
    });
    expect(other.error).toMatchObject({
      status: 409,
      code: "shipment_state_conflict",
      detail: `Shipment ${shipment.shipmentId} is SHIPPED; it was shipped with tracking number 1Z0001, not 1Z0002.`,
    });
    expect((await ops.fulfilment.getShipment({ params: path })).data?.trackingNumber).toBe("1Z0001");
    await platform.settle();
    const shippedEvents = (
      await platform.eventLog.read({ afterSeq: 0, types: ["ecommerce.fulfilment.shipment.shipped.v1"], limit: 1000 })
    ).filter((event) => JSON.parse(event.envelope).payload.orderId === orderId);
    expect(shippedEvents).toHaveLength(1);
  });

  it("refuses a delivery dated in the future or before the parcel was shipped (400 on /deliveredAt), leaving it SHIPPED", async () => {
    const shopper = await shop.register();
    const { orderId, correlationId } = await shop.paidOrder(shopper, { index: 7 });
    const { client: ops } = await shop.admin();
    const shipment = await shipmentOf(orderId);
    const path = { path: { shipmentId: shipment.shipmentId } };
    await ops.fulfilment.pickShipment({ params: path, body: {} });
    await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } });
    const shipped = (
      await ops.fulfilment.shipShipment({ params: path, body: { carrier: "ups", trackingNumber: "1Z0007" } })
    ).data!;
    const before = (await ops.fulfilment.getShipmentTracking({ params: path })).data!;
    const shippedAt = Date.parse(shipped.shippedAt!);

    for (const [deliveredAt, detail] of [
      [new Date(platform.clock.now().getTime() + 60_000), "/deliveredAt must not be in the future"],
      [new Date(shippedAt - 1), `/deliveredAt must not be before the shipment was shipped (${shipped.shippedAt})`],
    ] as const) {
      const refused = await ops.fulfilment.deliverShipment({
        params: path,
        body: { deliveredAt: deliveredAt.toISOString(), signedBy: "S. HOPPER" },
      });
      expect(refused.response.status).toBe(400);
      expect(refused.response.headers.get("content-type")).toContain("application/problem+json");
      expect(refused.error).toMatchObject({ code: "validation", detail });
    }
    expect((await ops.fulfilment.getShipment({ params: path })).data).toEqual(shipped);
    expect((await ops.fulfilment.getShipmentTracking({ params: path })).data).toEqual(before);
    await platform.settle();
    const types = (await shop.flow(correlationId)).map((event) => event.eventType);
    expect(types).toContain("ecommerce.fulfilment.shipment.shipped.v1");
    expect(types).not.toContain("ecommerce.fulfilment.shipment.delivered.v1");
  });

  it("keeps warehouse steps to admins and shipments to their customer", async () => {
    const shopper = await shop.register();
    const stranger = await shop.register();
    const { orderId } = await shop.paidOrder(shopper, { index: 4 });
    const shipment = await shipmentOf(orderId);
    const path = { path: { shipmentId: shipment.shipmentId } };

    expect((await shopper.client.fulfilment.pickShipment({ params: path, body: {} })).error?.status).toBe(403);
    expect((await shopper.client.fulfilment.listShipments({})).error?.status).toBe(403);
    expect((await shopper.client.fulfilment.getShipment({ params: path })).data?.orderId).toBe(orderId);
    expect((await stranger.client.fulfilment.getShipment({ params: path })).error?.status).toBe(404);
    expect((await shop.anonymous().fulfilment.getShipment({ params: path })).error?.status).toBe(401);
  });

  it("cancels the open shipment of a canceled PAID order; once packed (FULFILLED) the order cannot be canceled", async () => {
    const { client: ops } = await shop.admin();
    const shopper = await shop.register();
    const paid = await shop.paidOrder(shopper, { index: 5 });
    const canceled = await ops.order.cancelOrder({
      params: { path: { orderId: paid.orderId } },
      body: { reason: "customer_request" },
    });
    expect(canceled.data?.status).toBe("CANCELED");
    await platform.settle();
    const stopped = await shipmentOf(paid.orderId);
    expect(stopped.status).toBe("CANCELED");
    const pick = await ops.fulfilment.pickShipment({ params: { path: { shipmentId: stopped.shipmentId } }, body: {} });
    expect(pick.error?.status).toBe(409);

    const packedOrder = await shop.paidOrder(shopper, { index: 6 });
    const shipment = await shipmentOf(packedOrder.orderId);
    await ops.fulfilment.pickShipment({ params: { path: { shipmentId: shipment.shipmentId } }, body: {} });
    await ops.fulfilment.packShipment({
      params: { path: { shipmentId: shipment.shipmentId } },
      body: { packageCount: 1 },
    });
    await platform.settle();
    const refused = await ops.order.cancelOrder({
      params: { path: { orderId: packedOrder.orderId } },
      body: { reason: "customer_request" },
    });
    expect(refused.error?.status).toBe(409);
    expect((await shipmentOf(packedOrder.orderId)).status).toBe("PACKED");
  });
});
