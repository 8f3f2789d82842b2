import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { createClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FORWARDED_CLIENT_AUDIENCE,
  GATEWAY_CALLER,
  GATEWAY_TOKEN_HEADER,
} from "../../packages/simulator/src/cluster/forwarded-client.js";
import { createServiceTokens } from "../../packages/simulator/src/cluster/service-token.js";
import { describePostgresNats } from "../backends/backends.js";
import { shopThrough } from "../simulator/shop.js";
import { type SplitCluster, startSplitCluster } from "./split-cluster.js";

// A checkout through `ecom gateway` on a platform split over three processes on PostgreSQL and NATS JetStream, as
// `ecom serve --contexts …` runs them (here three platforms in this test process, each on its own port, calling
// the others over HTTP with service tokens and found through the registry in NATS KV); and what the gateway adds on
// the way: internal RPCs refused from outside, each client counted by the address the gateway saw.

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

  describe("anonymous clients are told apart by the address the gateway saw (Idempotency-Keys' scope)", () => {
    /** POST /auth/register (anonymous, under the Idempotency-Key `key`) to `url`, from `localAddress`. */
    const register = (
      url: string,
      key: string,
      email: string,
      localAddress: string,
      headers: Record<string, string> = {},
    ) =>
      post(url, "/auth/register", localAddress, {
        headers: { "content-type": "application/json", "idempotency-key": key, ...headers },
        body: JSON.stringify({ email, password: "a-long-enough-password", firstName: "A", lastName: "B" }),
      });

    it("through the gateway, two clients from two addresses each have their own scope", async () => {
      const url = cluster.gateway.url;
      expect((await register(url, "key-through-gateway", "gateway-first@example.com", "127.0.0.2")).status).toBe(201);
      // Were the two counted as the gateway's one address, this would be 422: the key "used for another request".
      expect((await register(url, "key-through-gateway", "gateway-second@example.com", "127.0.0.3")).status).toBe(201);
      // The same client with another body under its own key is still refused.
      expect((await register(url, "key-through-gateway", "gateway-third@example.com", "127.0.0.2")).status).toBe(422);
    });

    it("straight to a process, a forged X-Forwarded-For (with or without a forged token) changes nothing", async () => {
      const url = cluster.gateway.view.urlOf("customer")!;
      const forgedToken = createServiceTokens({ key: randomBytes(32) }).tokenFor(
        GATEWAY_CALLER,
        FORWARDED_CLIENT_AUDIENCE,
      );
      expect(
        (
          await register(url, "key-straight-to-process", "direct-first@example.com", "127.0.0.2", {
            "x-forwarded-for": "198.51.100.1",
          })
        ).status,
      ).toBe(201);
      // One socket address, one scope: the key is taken, whatever address the header claims.
      const claims = [
        { "x-forwarded-for": "198.51.100.2" },
        { "x-forwarded-for": "198.51.100.3", [GATEWAY_TOKEN_HEADER]: forgedToken },
      ];
      for (const headers of claims)
        expect(
          (await register(url, "key-straight-to-process", "direct-second@example.com", "127.0.0.2", headers)).status,
        ).toBe(422);
    });
  });
});

/** A request from `localAddress` (any loopback address on Linux): fetch cannot choose the address it connects from. */
function post(
  base: string,
  path: string,
  localAddress: string,
  options: { headers: Record<string, string>; body: string },
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, method: "POST", path, headers: options.headers, localAddress },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}
