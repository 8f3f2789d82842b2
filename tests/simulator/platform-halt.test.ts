import { type ContextRuntime, defineContext } from "@ecom/services/platform";
import { createPlatform } from "@ecom/simulator";
import { expect, it } from "vitest";

const quiet = { info() {}, warn() {}, error() {} };

/** A cart context with no tables of its own: the test publishes through its runtime. */
function capturingCart() {
  const captured: { runtime?: ContextRuntime<Record<string, never>> } = {};
  const context = defineContext<Record<string, never>>({
    name: "cart",
    migrations: {},
    create(runtime) {
      captured.runtime = runtime;
      return {};
    },
  });
  return { context, runtime: () => captured.runtime! };
}

const itemAdded = {
  cartId: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
  customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E",
  productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
  quantity: 1,
  unitPrice: { amount: 4599, currency: "USD" },
};

// What a process that lost its contexts' claims does before it exits (ecom serve, ecom sim up on the backends).
it("halts: the port stops accepting at once, and the platform can still be closed after", async () => {
  const platform = await createPlatform({ contexts: [], memory: true, log: quiet });
  const url = await platform.listen(0);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  await platform.halt();
  await expect(fetch(`${url}/healthz`)).rejects.toThrow(/fetch failed/);
  await platform.close();
});

it("halts the contexts' work too: their runs see the platform closing, and nothing committed after is relayed", async () => {
  const cart = capturingCart();
  const platform = await createPlatform({ contexts: [cart.context], memory: true, log: quiet });
  const runtime = cart.runtime();
  const publish = () =>
    runtime.db.transaction().execute((trx) =>
      runtime.outbox.publish(trx, "ecommerce.cart.cart.item_added.v1", itemAdded, {
        partitionKey: itemAdded.cartId,
        correlationId: "halt-test",
      }),
    );
  // Before: the commit's hook relays at once (publish before reply), so the event is in the log when it resolves.
  await publish();
  expect(await platform.eventLog.lastSeq()).toBe(1);

  await platform.halt();
  expect(runtime.closing.aborted).toBe(true);
  await publish();
  expect(await platform.eventLog.lastSeq()).toBe(1);
  await platform.close();
});
