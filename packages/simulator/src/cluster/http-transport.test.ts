import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, createRouterTransport, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import { createRpcClients, inventoryV1, paymentV1, rpcAccess } from "@ecom/sdk/rpc";
import { serviceErrorsAsConnect } from "@ecom/services/platform";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestNamespace } from "../../../../tests/backends/nats-namespace.js";
import { createAccessInterceptor } from "../access-policy.js";
import { createTokenService } from "../token-service.js";
import { createHttpTransport, createSplitTransport } from "./http-transport.js";
import { openRegistry } from "./registry.js";
import { createServiceTokens } from "./service-token.js";

const serviceKey = randomBytes(32);
const customerTokens = createTokenService(
  randomBytes(32),
  { now: () => new Date() },
  { next: (prefix) => `${prefix}_1` },
);

/** The `sub` of the service token a request carried (the server checked it before the handler ran). */
const callerOf = (authorization: string | null) =>
  JSON.parse(Buffer.from(authorization?.split(" ")[1]?.split(".")[1] ?? "", "base64url").toString()).sub as string;

/**
 * A process serving inventory over HTTP, as `ecom serve --contexts inventory` would: ReserveStock (internal) answers
 * with the server's name and the calling context, behind the access interceptor that accepts service tokens.
 */
async function inventoryProcess(name: string, key: Uint8Array = serviceKey): Promise<{ url: string; server: Server }> {
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(inventoryV1.InventoryService, {
        reserveStock: (request, context) => ({
          reservationId: `rsv_${name}_${callerOf(context.requestHeader.get("authorization"))}_${request.checkoutId}`,
        }),
      }),
    interceptors: [
      serviceErrorsAsConnect,
      createAccessInterceptor({
        tokens: customerTokens,
        rules: rpcAccess,
        serviceTokens: createServiceTokens({ key }),
      }),
    ],
  });
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("the HTTP transport between contexts in different processes", () => {
  let first: { url: string; server: Server };
  let second: { url: string; server: Server };
  let stranger: { url: string; server: Server };
  const where = new Map<string, string>();
  const registry = { urlOf: (context: string) => where.get(context) };
  const tokens = createServiceTokens({ key: serviceKey });

  beforeAll(async () => {
    [first, second, stranger] = await Promise.all([
      inventoryProcess("first"),
      inventoryProcess("second"),
      inventoryProcess("stranger", randomBytes(32)),
    ]);
  });
  afterAll(async () => {
    for (const { server } of [first, second, stranger]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const orderClients = () => createRpcClients(createHttpTransport({ caller: "order", registry, tokens }));

  it("calls an internal RPC of the process the registry names, with a service token naming the caller", async () => {
    where.set("inventory", first.url);
    const answer = await orderClients().inventory.reserveStock({ checkoutId: "chk_1" });
    expect(answer.reservationId).toBe("rsv_first_order_chk_1");
  });

  it("asks the registry on every call, so a context that moved is found at its new process", async () => {
    const clients = orderClients();
    where.set("inventory", first.url);
    expect((await clients.inventory.reserveStock({ checkoutId: "chk_2" })).reservationId).toBe("rsv_first_order_chk_2");
    where.set("inventory", second.url);
    expect((await clients.inventory.reserveStock({ checkoutId: "chk_3" })).reservationId).toBe(
      "rsv_second_order_chk_3",
    );
  });

  it("runs the caller's interceptors around each call", async () => {
    where.set("inventory", first.url);
    const seen: string[] = [];
    const trace: Interceptor = (next) => async (request) => {
      seen.push(`${request.service.typeName}/${request.method.name}`);
      return next(request);
    };
    const transport = createHttpTransport({ caller: "fulfilment", registry, tokens, interceptors: [trace] });
    const answer = await createClient(inventoryV1.InventoryService, transport).reserveStock({ checkoutId: "chk_4" });
    expect(answer.reservationId).toBe("rsv_first_fulfilment_chk_4");
    expect(seen).toEqual(["ecom.inventory.v1.InventoryService/ReserveStock"]);
  });

  it("fails a call to a context no process serves with unavailable, naming it", async () => {
    where.delete("inventory");
    const error = await orderClients()
      .inventory.reserveStock({ checkoutId: "chk_5" })
      .catch((thrown: unknown) => ConnectError.from(thrown));
    expect(error).toMatchObject({
      code: Code.Unavailable,
      rawMessage: expect.stringMatching(/No process serves inventory/),
    });
  });

  it("is refused by a process that does not share the service-token key", async () => {
    where.set("inventory", stranger.url);
    const error = await orderClients()
      .inventory.reserveStock({ checkoutId: "chk_6" })
      .catch((thrown: unknown) => ConnectError.from(thrown));
    expect(error).toMatchObject({ code: Code.Unauthenticated, rawMessage: expect.stringMatching(/bad signature/) });
  });

  it("an internal RPC called over HTTP without a service token is refused", async () => {
    const plain = createClient(
      inventoryV1.InventoryService,
      createConnectTransport({ baseUrl: first.url, httpVersion: "1.1" }),
    );
    const error = await plain
      .reserveStock({ checkoutId: "chk_7" })
      .catch((thrown: unknown) => ConnectError.from(thrown));
    expect(error).toMatchObject({ code: Code.PermissionDenied });
  });

  it("keeps calls to the process's own contexts in process and sends the others over HTTP", async () => {
    where.set("inventory", first.url);
    const inProcess = createRouterTransport((router) =>
      router.service(paymentV1.PaymentService, { authorize: () => ({ paymentId: "pay_in_process" }) }),
    );
    const clients = createRpcClients(
      createSplitTransport({
        local: new Set(["payment"]),
        inProcess,
        remote: createHttpTransport({ caller: "order", registry, tokens }),
      }),
    );
    expect((await clients.payment.authorize({})).paymentId).toBe("pay_in_process");
    expect((await clients.inventory.reserveStock({ checkoutId: "chk_8" })).reservationId).toBe("rsv_first_order_chk_8");
  });
});

describePostgresNats("the HTTP transport resolving through the registry in NATS KV", (backend) => {
  it("finds the process that claimed a context, and the next one after it stops", async () => {
    const namespace = createTestNamespace();
    const connection = await connect({ servers: backend.busUrl, name: "http-transport-test" });
    const servers = await Promise.all([inventoryProcess("old"), inventoryProcess("new")]);
    try {
      const registry = await openRegistry({ connection, namespace: namespace.name });
      const view = await registry.watch();
      const clients = createRpcClients(
        createHttpTransport({ caller: "order", registry: view, tokens: createServiceTokens({ key: serviceKey }) }),
      );
      const old = await registry.register({ id: "old", url: servers[0].url, contexts: ["inventory"] });
      await view.until(() => view.urlOf("inventory") === servers[0].url);
      expect((await clients.inventory.reserveStock({ checkoutId: "chk_1" })).reservationId).toBe("rsv_old_order_chk_1");
      await old.stop();
      const successor = await registry.register({ id: "new", url: servers[1].url, contexts: ["inventory"] });
      await view.until(() => view.urlOf("inventory") === servers[1].url);
      expect((await clients.inventory.reserveStock({ checkoutId: "chk_2" })).reservationId).toBe("rsv_new_order_chk_2");
      await successor.stop();
      await view.close();
    } finally {
      for (const { server } of servers) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      await namespace.drop();
      await connection.close();
    }
  });
});
