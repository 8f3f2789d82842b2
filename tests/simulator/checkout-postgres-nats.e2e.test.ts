import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../backends/test-database.js";

// A checkout through REST on PostgreSQL and NATS JetStream: every store in its schema of a database of this file's
// own, the log the stream of the database's namespace, one process (what `ecom sim up --store … --bus …` runs).

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };

const contexts = allContexts;

describePostgresNats("a checkout on PostgreSQL and NATS JetStream", (backend) => {
  let database: TestDatabase;
  let platform: Platform;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    platform = await createPlatform({
      contexts,
      seed: 42,
      log: quiet,
      backends: { storeUrl: database.url, busUrl: backend.busUrl },
    });
    baseUrl = await platform.listen(0);
  }, 120_000);
  afterAll(async () => {
    await platform?.close();
    await createTestNamespace(database?.name).drop();
    await database?.drop();
  });

  async function login(email: string, password: string): Promise<EcomClient> {
    const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
    const { data, error } = await anonymous.customer.login({ body: { email, password } });
    if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
    return createClient({ baseUrl, token: data.accessToken, retry: { maxAttempts: 1 } });
  }

  it("ends with a PAID order, stock decremented and the saga's events in the stream under one correlation id", async () => {
    const ops = await login(devAccounts.admin.email, devAccounts.admin.password);
    // A seeded book, found in the stream.
    const [created] = await platform.eventLog.read({
      afterSeq: 0,
      types: ["ecommerce.catalog.product.created.v1"],
      limit: 1,
    });
    // Its partition is the product.
    const productId = (JSON.parse(created!.envelope) as { partitionKey: string }).partitionKey;
    const stock = async () => {
      const { data, error } = await ops.inventory.getStockLevel({ params: { path: { productId } } });
      if (!data) throw new Error(`stock of ${productId}: ${JSON.stringify(error)}`);
      return data.available;
    };
    const before = await stock();

    const client = await login(devAccounts.customer.email, devAccounts.customer.password);
    const { data: cart } = await client.cart.createCart({ body: {} });
    await client.cart.addCartItem({ params: { path: { cartId: cart!.cartId } }, body: { productId, quantity: 2 } });
    const { data: method } = await client.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Demo" },
    });
    const { data: addresses } = await client.customer.listMyAddresses({});
    const accepted = await client.cart.checkoutCart({
      params: { path: { cartId: cart!.cartId } },
      body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
    });
    if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
    await platform.settle();

    const { data: view } = await client.order.getCheckout({
      params: { path: { checkoutId: accepted.data.checkoutId } },
    });
    expect(view?.state).toBe("COMPLETED");
    const { data: order } = await client.order.getOrder({ params: { path: { orderId: view!.orderId! } } });
    expect(order?.status).toBe("PAID");
    expect(await stock()).toBe(before - 2);

    const events = await platform.eventLog.read({ afterSeq: 0, correlationId: accepted.data.correlationId });
    const types = events.map((event) => event.eventType);
    expect(types).toContain("ecommerce.cart.cart.checked_out.v1");
    expect(types).toContain("ecommerce.order.order.created.v1");
    expect(types).toContain("ecommerce.order.order.paid.v1");
    expect(types.indexOf("ecommerce.cart.cart.checked_out.v1")).toBeLessThan(
      types.indexOf("ecommerce.order.order.created.v1"),
    );
    const health = await platform.health();
    expect(Object.values(health.contexts).map((context) => context.lag)).toEqual(contexts.map(() => 0));
    // Every subscriber handled what it was given: a handler whose SQL only SQLite takes dead-letters its event.
    const failing = Object.entries(health.contexts).filter(([, context]) => context.deadLetters > 0);
    expect(failing.map(([name]) => name)).toEqual([]);
  });
});
