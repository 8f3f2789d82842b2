import { Code, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import { catalogV1 } from "@ecom/sdk/rpc";
import { describe, expect, it } from "vitest";
import { createInProcessTransport } from "./in-process-transport.js";
import { createRpcTrace } from "./rpc-trace.js";
import { VirtualClock } from "./virtual-clock.js";

const { CatalogService } = catalogV1;

function tracedCatalog(kept: number) {
  const clock = new VirtualClock({ start: new Date("2026-12-06T12:00:00Z"), frozen: true });
  const trace = createRpcTrace(clock, { kept });
  const routes = (router: ConnectRouter) =>
    router.service(CatalogService, { getProduct: (request) => ({ product: { id: request.productId } }) });
  const client = createClient(
    CatalogService,
    createInProcessTransport(routes, { transport: { interceptors: [trace.interceptor] } }),
  );
  // A minute of platform time between calls tells them apart by `at`.
  const call = async (productId: string, correlationId: string) => {
    await client.getProduct({ productId }, { headers: { "correlation-id": correlationId } });
    clock.advance(60_000);
  };
  return { trace, call };
}

describe("the RPC trace", () => {
  it("files each call under its correlation id, oldest first, with its service, method and outcome", async () => {
    const { trace, call } = tracedCatalog(10);
    await call("prd_1", "cor_a");
    await call("prd_2", "cor_b");
    await call("prd_3", "cor_a");
    expect(trace.callsOf("cor_a")).toHaveLength(2);
    expect(trace.callsOf("cor_a")[0]).toMatchObject({
      service: "ecom.catalog.v1.CatalogService",
      method: "GetProduct",
      code: "ok",
      correlationId: "cor_a",
    });
    expect(trace.callsOf("cor_b")).toHaveLength(1);
    expect(trace.callsOf("cor_c")).toEqual([]);
  });

  it("keeps the last calls up to its limit: past it, the oldest go first and the order holds", async () => {
    const kept = 5;
    const { trace, call } = tracedCatalog(kept);
    // Each call has its own correlation id, so which ones are kept shows which calls are.
    for (let index = 0; index < kept + 3; index++) await call("prd_1", `cor_${index}`);
    const keptIds = Array.from({ length: kept + 3 }, (_, index) => `cor_${index}`).filter(
      (id) => trace.callsOf(id).length > 0,
    );
    expect(keptIds).toEqual(["cor_3", "cor_4", "cor_5", "cor_6", "cor_7"]);

    // One correlation id across the wrap: its calls still come oldest first.
    const wrapped = tracedCatalog(3);
    for (let index = 0; index < 5; index++) await wrapped.call("prd_1", "cor_x");
    expect(wrapped.trace.callsOf("cor_x").map((traced) => traced.at)).toEqual([
      "2026-12-06T12:02:00.000Z",
      "2026-12-06T12:03:00.000Z",
      "2026-12-06T12:04:00.000Z",
    ]);
  });

  it("records a failed call with the Connect code it failed with, in the protocol's spelling", async () => {
    const clock = new VirtualClock({ start: new Date("2026-12-06T12:00:00Z"), frozen: true });
    const trace = createRpcTrace(clock);
    const routes = (router: ConnectRouter) =>
      router.service(CatalogService, {
        getProduct: () => {
          throw new ConnectError("no stock to check", Code.FailedPrecondition);
        },
      });
    const client = createClient(
      CatalogService,
      createInProcessTransport(routes, { transport: { interceptors: [trace.interceptor] } }),
    );
    await expect(
      client.getProduct({ productId: "prd_1" }, { headers: { "correlation-id": "cor_f" } }),
    ).rejects.toBeInstanceOf(ConnectError);
    expect(trace.callsOf("cor_f")).toEqual([
      expect.objectContaining({ at: "2026-12-06T12:00:00.000Z", method: "GetProduct", code: "failed_precondition" }),
    ]);
  });
});
