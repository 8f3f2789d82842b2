import { connect as http2Connect } from "node:http2";
import { connect } from "node:net";
import { create } from "@bufbuild/protobuf";
import { createClient as createConnectClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { inventoryV1 } from "@ecom/sdk/rpc";
import { defineContext } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// One port speaks REST, Connect, gRPC-web (HTTP/1.1) and gRPC (HTTP/2, h2c) at once.

const inventory = defineContext<object>({
  name: "inventory",
  migrations: {},
  create: () => ({
    rpc: (router) =>
      router.service(inventoryV1.InventoryService, {
        async queryStock(request) {
          return create(inventoryV1.QueryStockResponseSchema, {
            levels: request.productIds.map((productId) => ({ productId, onHand: 7, reserved: 2, available: 5 })),
          });
        },
      }),
  }),
});

let platform: Platform;
let url: string;
beforeAll(async () => {
  platform = await createPlatform({ contexts: [inventory], memory: true, log: { info() {}, warn() {}, error() {} } });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

describe("the one port", () => {
  it.each([
    ["Connect over HTTP/1.1", () => createConnectTransport({ baseUrl: url, httpVersion: "1.1" })],
    ["gRPC-web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1" })],
    ["gRPC over HTTP/2", () => createGrpcTransport({ baseUrl: url })],
  ])("serves %s", async (_name, transport) => {
    const client = createConnectClient(inventoryV1.InventoryService, transport());
    const response = await client.queryStock({ productIds: ["prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A"] } as never);
    expect(response.levels[0]).toMatchObject({ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", available: 5 });
  });

  it("tells HTTP/2 from HTTP/1.1 even when the first bytes arrive in pieces", async () => {
    const { port } = new URL(url);
    // A connection whose first write is split: the HTTP/2 preface then arrives as "PRI *" and the rest.
    const splitting = () => {
      const socket = connect(Number(port), "127.0.0.1");
      const write = socket.write.bind(socket) as (chunk: Uint8Array) => boolean;
      let first = true;
      socket.write = ((chunk: Uint8Array) => {
        if (!first || chunk.length <= 5) return write(chunk);
        first = false;
        write(chunk.subarray(0, 5));
        setTimeout(() => write(chunk.subarray(5)), 20);
        return true;
      }) as typeof socket.write;
      return socket;
    };
    const session = http2Connect(url, { createConnection: splitting });
    const status = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ":path": "/healthz" });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.end();
    });
    session.close();
    expect(status).toBe(200);
  });

  it("serves REST and the simulator's endpoints beside them", async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const problem = await fetch(`${url}/products`);
    expect(problem.headers.get("content-type")).toContain("application/problem+json");
  });
});
