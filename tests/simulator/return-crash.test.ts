import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devAccounts } from "@ecom/services";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, signedInClient, startSimulator } from "./child-simulator.js";
import { killAllSims } from "./sim-process.js";

// `ecom sim up` in a child process, SIGKILLed between the warehouse receiving a return and payment refunding it
// (or between the refund and fulfilment recording it), then restarted on the same data folder: the return ends
// refunded exactly once, with its copies back on hand once.

const folders: string[] = [];
afterEach(async () => {
  await killAllSims();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

const customer = (url: string) => signedInClient(url, devAccounts.customer.email, devAccounts.customer.password);
const admin = (url: string) => signedInClient(url, devAccounts.admin.email, devAccounts.admin.password);

/** Check out one copy as the demo customer and take the order to DELIVERED through the warehouse API. */
async function deliveredOrder(url: string) {
  const client = await customer(url);
  const { data: page } = await client.catalog.listProducts({ params: { query: { limit: 50 } } });
  const { data: stock } = await client.inventory.batchGetStockLevels({
    params: { query: { productIds: page!.items.map((product) => product.productId) } },
  });
  const productId = stock!.levels.find((level) => level.available >= 3)!.productId;
  const { data: cart } = await client.cart.createCart({ body: {} });
  await client.cart.addCartItem({ params: { path: { cartId: cart!.cartId } }, body: { productId, quantity: 1 } });
  const { data: method } = await client.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Crash Test" },
  });
  const { data: addresses } = await client.customer.listMyAddresses({});
  const { data: accepted } = await client.cart.checkoutCart({
    params: { path: { cartId: cart!.cartId } },
    body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
  });
  const orderId = await eventually(async () => {
    const { data } = await client.order.getCheckout({ params: { path: { checkoutId: accepted!.checkoutId } } });
    return data?.state === "COMPLETED" ? data.orderId : undefined;
  }, "the checkout");
  const ops = await admin(url);
  const shipmentId = await eventually(async () => {
    const { data } = await ops.fulfilment.listShipments({ params: { query: { orderId: orderId! } } });
    return data?.items[0]?.shipmentId;
  }, "the shipment");
  const path = { path: { shipmentId } };
  await ops.fulfilment.pickShipment({ params: path, body: {} });
  await ops.fulfilment.packShipment({ params: path, body: { packageCount: 1 } });
  await ops.fulfilment.shipShipment({ params: path, body: { carrier: "ups", trackingNumber: "1Z999AA10000042" } });
  const { data: delivered } = await ops.fulfilment.deliverShipment({ params: path, body: {} });
  expect(delivered?.status).toBe("DELIVERED");
  const { data: level } = await ops.inventory.getStockLevel({ params: { path: { productId } } });
  return { orderId: orderId!, productId, onHand: level!.onHand };
}

describe("a simulator killed with SIGKILL during a return", () => {
  it.each([
    ["between receiving the return and refunding it", "ecommerce.fulfilment.return.received.v1"],
    ["between the refund and fulfilment recording it", "ecommerce.payment.payment.refunded.v1"],
  ])(
    "%s refunds exactly once after the restart",
    async (_when, crashAfter) => {
      const dataDir = await mkdtemp(join(tmpdir(), "ecom-return-crash-"));
      folders.push(dataDir);
      const first = startSimulator(dataDir, crashAfter);
      const url = await first.url;
      const order = await deliveredOrder(url);

      const { data: ret } = await (await customer(url)).fulfilment.requestReturn({
        body: { orderId: order.orderId, items: [{ productId: order.productId, quantity: 1 }], reason: "changed_mind" },
      });
      await (await admin(url)).fulfilment
        .receiveReturn({ params: { path: { returnId: ret!.returnId } }, body: { condition: "SELLABLE" } })
        .catch(() => undefined);
      expect((await first.exited).signal).toBe("SIGKILL");

      const second = startSimulator(dataDir);
      const url2 = await second.url;
      const ops = await admin(url2);
      const paymentId = (await ops.order.getOrder({ params: { path: { orderId: order.orderId } } })).data!.paymentId!;
      const refunds = await eventually(async () => {
        const { data } = await ops.payment.getPayment({ params: { path: { paymentId } } });
        return data?.refunds && data.refunds.length > 0 ? data.refunds : undefined;
      }, "the refund");
      expect(refunds).toHaveLength(1);
      expect(refunds[0]!.amount).toEqual(ret!.refundAmount);
      const { data: received } = await ops.fulfilment.getReturn({ params: { path: { returnId: ret!.returnId } } });
      expect(received?.status).toBe("RECEIVED");
      const onHand = await eventually(async () => {
        const { data } = await ops.inventory.getStockLevel({ params: { path: { productId: order.productId } } });
        return data && data.onHand === order.onHand + 1 ? data.onHand : undefined;
      }, "the copy back on hand");
      expect(onHand).toBe(order.onHand + 1);
      // Receiving again after the restart changes nothing: still one refund, one restock.
      await ops.fulfilment.receiveReturn({
        params: { path: { returnId: ret!.returnId } },
        body: { condition: "SELLABLE" },
      });
      const log = (await (await fetch(`${url2}/_sim/log?types=ecommerce.payment.payment.refunded.v1`)).json()) as {
        events: { payload: { orderId?: string } }[];
      };
      expect(log.events.filter((event) => event.payload.orderId === order.orderId)).toHaveLength(1);
      second.child.kill("SIGINT");
      await second.exited;
    },
    120_000,
  );
});
