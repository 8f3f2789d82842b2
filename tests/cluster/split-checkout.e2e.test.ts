import { createClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../backends/backends.js";
import { shopThrough } from "../simulator/shop.js";
import { type SplitCluster, startSplitCluster } from "./split-cluster.js";

// A checkout through `ecom gateway` on a platform split over three processes on PostgreSQL and NATS JetStream, as
// `ecom serve --contexts …` runs them (here three platforms in this test process, each on its own port, calling
// the others over HTTP with service tokens and found through the registry in NATS KV).

// Search's full-text index is SQLite's FTS5 until its PostgreSQL form lands; a checkout does not need it.
const shares = [
  ["order", "payment"],
  ["inventory", "cart", "customer"],
  ["catalog", "promotion", "fulfilment", "review", "notification", "analytics"],
];

describePostgresNats("a checkout through the gateway of a platform split over three processes", (backend) => {
  let cluster: SplitCluster;
  const platforms = () => cluster.platforms;

  beforeAll(async () => {
    cluster = await startSplitCluster(backend.busUrl, shares);
  }, 180_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it("ends with a PAID order and stock decremented, the saga's RPCs crossing processes", async () => {
    const shop = shopThrough(cluster.gateway.url);
    const { client: ops } = await shop.admin();
    const [created] = await platforms()[0]!.eventLog.read({
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
      fetch(`${cluster.gateway.url}/ecom.inventory.v1.InventoryService/ReleaseStock`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ reservationId: "rsv_x" }),
      });
    expect((await call({})).status).toBe(403);
    const customer = await createClient({ baseUrl: cluster.gateway.url }).customer.login({
      body: { email: devAccounts.customer.email, password: devAccounts.customer.password },
    });
    expect((await call({ authorization: `Bearer ${customer.data!.accessToken}` })).status).toBe(403);
  });

  it("answers /healthz for the three processes", async () => {
    const health = (await (await fetch(`${cluster.gateway.url}/healthz`)).json()) as {
      processes: unknown[];
      unserved: string[];
    };
    expect(health.processes).toHaveLength(3);
    expect(health.unserved).toEqual([]);
  });
});
