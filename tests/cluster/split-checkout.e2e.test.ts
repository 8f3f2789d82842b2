import { createClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import {
  type ClusterMembership,
  createPlatform,
  type Gateway,
  joinCluster,
  type Platform,
  type RegistryView,
  startGateway,
  storeNamespace,
} from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../backends/test-database.js";
import { quiet, shopThrough, until } from "../simulator/shop.js";

// A checkout through `ecom gateway` on a platform split over three processes on PostgreSQL and NATS JetStream, as
// `ecom serve --contexts …` runs them (here three platforms in this test process, each on its own port, calling
// the others over HTTP with service tokens and found through the registry in NATS KV).

// Search's full-text index is SQLite's FTS5 until its PostgreSQL form lands; a checkout does not need it.
const shares = [
  ["order", "payment"],
  ["inventory", "cart", "customer"],
  ["catalog", "promotion", "fulfilment", "review", "notification", "analytics"],
];
const names = shares.flat();

describePostgresNats("a checkout through the gateway of a platform split over three processes", (backend) => {
  let database: TestDatabase;
  let namespace: string;
  const processes: { platform: Platform; membership: ClusterMembership }[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    database = await createTestDatabase();
    namespace = storeNamespace(database.url);
    // One after another: each migrates and seeds its own contexts (the database's roles are made by the first).
    for (const share of shares) {
      const joined: { view?: RegistryView } = {};
      const platform = await createPlatform({
        contexts: allContexts.filter((module) => share.includes(module.name)),
        log: quiet,
        devAccounts,
        backends: { storeUrl: database.url, busUrl: backend.busUrl },
        split: { registry: { urlOf: (context) => joined.view?.urlOf(context) } },
      });
      const url = await platform.listen(0);
      const membership = await joinCluster({
        member: platform,
        connection: backend.busUrl,
        namespace,
        contexts: share,
        url,
        log: quiet,
      });
      joined.view = membership.view;
      processes.push({ platform, membership });
    }
    gateway = await startGateway({
      bus: backend.busUrl,
      namespace,
      contexts: names,
      port: 0,
      host: "127.0.0.1",
      log: quiet,
    });
    await until(() => names.every((context) => gateway.view.urlOf(context) !== undefined), "every context registered");
  }, 180_000);
  afterAll(async () => {
    await gateway?.close();
    for (const { platform, membership } of processes) {
      await membership.leave();
      await platform.close();
    }
    await createTestNamespace(namespace).drop();
    await database?.drop();
  });

  it("ends with a PAID order and stock decremented, the saga's RPCs crossing processes", async () => {
    const shop = shopThrough(gateway.url);
    const { client: ops } = await shop.admin();
    const [created] = await processes[0]!.platform.eventLog.read({
      afterSeq: 0,
      types: ["ecommerce.catalog.product.created.v1"],
      limit: 1,
    });
    const productId = (JSON.parse(created!.envelope) as { partitionKey: string }).partitionKey;
    const stock = async () => {
      const { data, error } = await ops.inventory.getStockLevel({ params: { path: { productId } } });
      if (!data) throw new Error(`stock of ${productId}: ${JSON.stringify(error)}`);
      return data.available;
    };
    const before = await stock();

    // Three processes settle on their own: paidOrder waits for the saga's end as a client would.
    const shopper = await shop.login(devAccounts.customer.email, devAccounts.customer.password);
    const { orderId } = await shop.paidOrder(shopper, { productId, quantity: 2 });
    const { data: order } = await shopper.client.order.getOrder({ params: { path: { orderId } } });
    expect(order?.status).toBe("PAID");
    expect(await stock()).toBe(before - 2);
  });

  it("refuses an internal RPC from outside, with or without a customer's token", async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${gateway.url}/ecom.inventory.v1.InventoryService/ReleaseStock`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ reservationId: "rsv_x" }),
      });
    expect((await call({})).status).toBe(403);
    const customer = await createClient({ baseUrl: gateway.url }).customer.login({
      body: { email: devAccounts.customer.email, password: devAccounts.customer.password },
    });
    expect((await call({ authorization: `Bearer ${customer.data!.accessToken}` })).status).toBe(403);
  });

  it("answers /healthz for the three processes", async () => {
    const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as {
      processes: unknown[];
      unserved: string[];
    };
    expect(health.processes).toHaveLength(3);
    expect(health.unserved).toEqual([]);
  });
});
