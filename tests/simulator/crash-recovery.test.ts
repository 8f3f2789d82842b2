import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import { afterEach, describe, expect, it } from "vitest";
import { signedInClient, startSimulator } from "./child-simulator.js";
import { killAllSims } from "./sim-process.js";

// The simulator as a user runs it (`ecom sim up` in a child process), killed with SIGKILL right after each step of
// the Checkout Saga is logged, then restarted on the same data folder: every saga must reach a terminal state with
// no lost or duplicated order, charge or reservation.

const folders: string[] = [];

afterEach(async () => {
  await killAllSims();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

const customerClient = (url: string) => signedInClient(url, devAccounts.customer.email, devAccounts.customer.password);

async function flowEvents(url: string, correlationId: string): Promise<{ eventType: string; eventId: string }[]> {
  const response = await fetch(`${url}/_sim/log?correlationId=${encodeURIComponent(correlationId)}&limit=1000`);
  return ((await response.json()) as { events: { eventType: string; eventId: string }[] }).events;
}

const STEPS = [
  "ecommerce.cart.cart.checked_out.v1",
  "ecommerce.inventory.stock.reserved.v1",
  "ecommerce.payment.payment.authorized.v1",
  "ecommerce.order.order.created.v1",
  "ecommerce.payment.payment.succeeded.v1",
  // capture_payment commits the stock before the write that marks the order PAID: a state of its own to resume from.
  "ecommerce.inventory.stock.committed.v1",
  "ecommerce.order.order.paid.v1",
];

describe("a simulator killed with SIGKILL during a checkout", () => {
  it.each(STEPS)(
    "after %s resumes the saga on restart to one consistent end",
    async (step) => {
      const dataDir = await mkdtemp(join(tmpdir(), "ecom-crash-"));
      folders.push(dataDir);

      const first = startSimulator(dataDir, step);
      const url = await first.url;
      const client = await customerClient(url);
      const { data: page } = await client.catalog.listProducts({ params: { query: { limit: 50 } } });
      const { data: stock } = await client.inventory.batchGetStockLevels({
        params: { query: { productIds: page!.items.map((product) => product.productId) } },
      });
      const level = stock!.levels.find((candidate) => candidate.available >= 2)!;
      const { data: cart } = await client.cart.createCart({ body: {} });
      await client.cart.addCartItem({
        params: { path: { cartId: cart!.cartId } },
        body: { productId: level.productId, quantity: 2 },
      });
      const { data: method } = await client.payment.tokenizePaymentMethod({
        body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Crash Test" },
      });
      const { data: addresses } = await client.customer.listMyAddresses({});
      const accepted = await client.cart
        .checkoutCart({
          params: { path: { cartId: cart!.cartId } },
          body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
        })
        .catch(() => undefined);
      expect((await first.exited).signal).toBe("SIGKILL");

      const second = startSimulator(dataDir);
      const url2 = await second.url;
      const again = await customerClient(url2);
      // The checkout id is in the log even if the response never arrived.
      const checkedOut = (
        (await (await fetch(`${url2}/_sim/log?types=ecommerce.cart.cart.checked_out.v1`)).json()) as {
          events: { correlationId: string; payload: { checkoutId: string } }[];
        }
      ).events;
      const checkoutId = accepted?.data?.checkoutId ?? checkedOut.at(-1)!.payload.checkoutId;
      let view: Awaited<ReturnType<EcomClient["order"]["getCheckout"]>>["data"];
      for (let attempt = 0; attempt < 200; attempt++) {
        view = (await again.order.getCheckout({ params: { path: { checkoutId } } })).data;
        if (view && (view.state === "COMPLETED" || view.state === "FAILED")) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(view!.state).toBe("COMPLETED");

      const events = await flowEvents(url2, view!.correlationId);
      const count = (type: string) => events.filter((event) => event.eventType === type).length;
      expect(count("ecommerce.order.order.created.v1")).toBe(1);
      expect(count("ecommerce.order.order.paid.v1")).toBe(1);
      expect(count("ecommerce.payment.payment.succeeded.v1")).toBe(1);
      expect(count("ecommerce.inventory.stock.reserved.v1")).toBe(1);
      expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
      const { data: order } = await again.order.getOrder({ params: { path: { orderId: view!.orderId! } } });
      expect(order).toMatchObject({ checkoutId, status: "PAID" });
      const { data: after } = await again.inventory.getStockLevel({ params: { path: { productId: level.productId } } });
      expect(after!.available).toBe(level.available - 2);
      expect(after!.reserved).toBe(level.reserved);

      second.child.kill("SIGTERM");
      expect((await second.exited).code).toBe(0);
    },
    60_000,
  );
});
