import { allContexts } from "@ecom/services";
import type { Platform } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeBackends } from "../backends/backends.js";
import { PLATFORM_START_TIMEOUT, type PlatformOnBackend, startPlatformOn } from "../backends/platform-on.js";
import { quiet, type Shopper, shopAt } from "./shop.js";

// Returns of delivered orders, every context running: the customer asks within 30 days of platform time, the
// warehouse receives the parcel, inventory gets the copies back and payment refunds the returned lines, once.

describeBackends("a return", (backend) => {
  let running: PlatformOnBackend;
  let platform: Platform;
  let shop: ReturnType<typeof shopAt>;

  beforeAll(async () => {
    running = await startPlatformOn(backend, { contexts: allContexts, seed: 3, log: quiet });
    platform = running.platform;
    shop = shopAt(platform);
  }, PLATFORM_START_TIMEOUT);
  afterAll(async () => {
    await running?.close();
  });

  /** A paid order of `quantity` copies, picked, packed, shipped and delivered through the warehouse API. */
  async function deliveredOrder(shopper: Shopper, options: { quantity: number; index: number }) {
    const paid = await shop.paidOrder(shopper, options);
    const { client: ops } = await shop.admin();
    const { data: page } = await ops.fulfilment.listShipments({ params: { query: { orderId: paid.orderId } } });
    const path = { path: { shipmentId: page!.items[0]!.shipmentId } };
    await ops.fulfilment.pickShipment({ params: path, body: {} });
    await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } });
    await ops.fulfilment.shipShipment({ params: path, body: { carrier: "ups", trackingNumber: "1Z999AA10000001" } });
    const delivered = await ops.fulfilment.deliverShipment({ params: path, body: {} });
    expect(delivered.data?.status).toBe("DELIVERED");
    await platform.settle();
    return { ...paid, shipmentId: path.path.shipmentId };
  }

  async function stockOf(productId: string) {
    const { client } = await shop.admin();
    return (await client.inventory.getStockLevel({ params: { path: { productId } } })).data!;
  }

  async function paymentOf(orderId: string) {
    const { client } = await shop.admin();
    const order = (await client.order.getOrder({ params: { path: { orderId } } })).data!;
    return (await client.payment.getPayment({ params: { path: { paymentId: order.paymentId! } } })).data!;
  }

  it("of a delivered order is received, restocked and refunded once for the returned lines, even when receive is retried", async () => {
    const shopper = await shop.register();
    const order = await deliveredOrder(shopper, { quantity: 2, index: 7 });
    const before = await stockOf(order.productId);

    const requested = await shopper.client.fulfilment.requestReturn({
      body: { orderId: order.orderId, items: [{ productId: order.productId, quantity: 1 }], reason: "changed_mind" },
    });
    expect(requested.response.status).toBe(201);
    const ret = requested.data!;
    expect(ret).toMatchObject({ status: "REQUESTED", orderId: order.orderId, customerId: shopper.customerId });
    expect(ret.rmaNumber).toMatch(/^RMA-[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(ret.refundAmount.amount).toBe(ret.items[0]!.unitPrice.amount);
    expect(requested.response.headers.get("location")).toBe(`/returns/${ret.returnId}`);

    const { client: ops } = await shop.admin();
    const path = { path: { returnId: ret.returnId } };
    const received = await ops.fulfilment.receiveReturn({ params: path, body: { condition: "SELLABLE" } });
    expect(received.data).toMatchObject({ status: "RECEIVED", condition: "SELLABLE" });
    const again = await ops.fulfilment.receiveReturn({ params: path, body: { condition: "SELLABLE" } });
    expect(again.data).toEqual(received.data);
    await platform.settle();

    const payment = await paymentOf(order.orderId);
    expect(payment.refunds).toHaveLength(1);
    expect(payment.refunds![0]!.amount.amount).toBe(ret.refundAmount.amount);
    const after = await stockOf(order.productId);
    expect(after.onHand).toBe(before.onHand + 1);
    const events = await shop.flow(order.correlationId);
    expect(events.filter((event) => event.eventType === "ecommerce.fulfilment.return.received.v1")).toHaveLength(1);
    expect(events.filter((event) => event.eventType === "ecommerce.payment.payment.refunded.v1")).toHaveLength(1);
    // The order stays DELIVERED: a partial refund of a delivered order is a return, not a cancellation.
    expect((await ops.order.getOrder({ params: { path: { orderId: order.orderId } } })).data?.status).toBe("DELIVERED");
    expect((await shopper.client.fulfilment.getReturn({ params: path })).data?.status).toBe("RECEIVED");
  });

  it("of damaged goods is refunded but not put back on the shelf", async () => {
    const shopper = await shop.register();
    const order = await deliveredOrder(shopper, { quantity: 1, index: 8 });
    const before = await stockOf(order.productId);
    const { data: ret } = await shopper.client.fulfilment.requestReturn({
      body: {
        orderId: order.orderId,
        items: [{ productId: order.productId, quantity: 1 }],
        reason: "damaged_in_transit",
      },
    });
    const { client: ops } = await shop.admin();
    await ops.fulfilment.receiveReturn({
      params: { path: { returnId: ret!.returnId } },
      body: { condition: "DAMAGED" },
    });
    await platform.settle();
    expect((await paymentOf(order.orderId)).refunds).toHaveLength(1);
    expect((await stockOf(order.productId)).onHand).toBe(before.onHand);
  });

  it("is refused for more than was delivered (422), before delivery (409), to another customer (404) and after 30 days (409)", async () => {
    const shopper = await shop.register();
    const stranger = await shop.register();
    const order = await deliveredOrder(shopper, { quantity: 1, index: 9 });
    const items = [{ productId: order.productId, quantity: 1 }];

    const tooMany = await shopper.client.fulfilment.requestReturn({
      body: { orderId: order.orderId, items: [{ productId: order.productId, quantity: 2 }], reason: "changed_mind" },
    });
    expect(tooMany.error).toMatchObject({ status: 422, code: "return_exceeds_order" });
    const notYours = await stranger.client.fulfilment.requestReturn({
      body: { orderId: order.orderId, items, reason: "changed_mind" },
    });
    expect(notYours.error?.status).toBe(404);

    const undelivered = await shop.paidOrder(shopper, { index: 10 });
    const early = await shopper.client.fulfilment.requestReturn({
      body: {
        orderId: undelivered.orderId,
        items: [{ productId: undelivered.productId, quantity: 1 }],
        reason: "changed_mind",
      },
    });
    expect(early.error).toMatchObject({ status: 409, code: "order_not_delivered" });

    await platform.advanceClock(31 * 24 * 3_600_000);
    const late = (await shop.relogin(shopper)).client;
    const closed = await late.fulfilment.requestReturn({
      body: { orderId: order.orderId, items, reason: "changed_mind" },
    });
    expect(closed.error).toMatchObject({ status: 409, code: "return_window_closed" });
  });
});
