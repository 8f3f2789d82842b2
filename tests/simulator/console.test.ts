import { run } from "@ecom/cli";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, isLoopbackHost, type Platform, type RequestLogEntry } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// The console the simulator serves at `/`, the joined contracts beside it, and the request log's hook.

let platform: Platform;
let url: string;
const requests: RequestLogEntry[] = [];
beforeAll(async () => {
  platform = await createPlatform({
    contexts: allContexts,
    memory: true,
    seed: 7,
    devAccounts,
    onRequest: (entry) => requests.push(entry),
    log: { info() {}, warn() {}, error() {} },
  });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

const get = (path: string) => platform.handle({ method: "GET", url: path, headers: {}, body: "" });

describe("the console", () => {
  it("serves its page at / with a policy that keeps every request on this origin", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers["content-security-policy"]).toContain("connect-src 'self'");
    expect(page.body).toContain('src="/_console/app/main.js"');
    const script = await get("/_console/app/main.js");
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toContain("text/javascript");
  });

  it("serves the vendored bundles it names, and nothing else under /_console/", async () => {
    expect((await get("/_console/vendor/scalar-api-reference.js")).status).toBe(200);
    expect((await get("/_console/vendor/asyncapi-react.js")).status).toBe(200);
    expect((await get("/_console/vendor/cytoscape.js")).status).toBe(200);
    for (const path of ["/_console/vendor/missing.js", "/_console/anything"]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(404);
      expect(answer.headers["content-type"]).toBe("application/problem+json");
    }
    // An encoded slash never reaches the console's file lookup: the port refuses it before any route.
    const encodedSlash = await get("/_console/app/..%2Fpackage.json");
    expect(encodedSlash.status).toBe(400);
    expect(encodedSlash.headers["content-type"]).toBe("application/problem+json");
  });

  it("answers /openapi.json and /asyncapi.json with every context joined", async () => {
    const openapi = JSON.parse((await get("/openapi.json")).body);
    expect(openapi.openapi).toBe("3.1.0");
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(["/orders", "/products", "/carts"]));
    const asyncapi = JSON.parse((await get("/asyncapi.json")).body);
    expect(asyncapi.asyncapi).toBe("3.0.0");
    expect(Object.keys(asyncapi.channels)).toContain("order.orderCreated");
  });

  it("hands out dev tokens that work, since this platform is bound to loopback", async () => {
    const session = JSON.parse((await get("/_console/session")).body);
    expect(session.loopback).toBe(true);
    const orders = await platform.handle({
      method: "GET",
      url: "/orders",
      headers: { authorization: `Bearer ${session.tokens.admin}` },
      body: "",
    });
    expect(orders.status).toBe(200);
  });

  it("counts only loopback addresses as loopback", () => {
    expect(["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "::", "192.168.1.10", "example.com"].some(isLoopbackHost)).toBe(false);
  });

  it("leaves the contracts' operations alone: an unknown path is still the gateway's 404", async () => {
    const answer = await get("/no-such-thing");
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body).instance).toBe("/no-such-thing");
  });

  it("reports each request on the port once it is answered, with its status and correlation id", async () => {
    const response = await fetch(`${url}/products?limit=1`, { headers: { "correlation-id": "cor_console_test" } });
    await response.text();
    await expect
      .poll(() => requests.find((entry) => entry.url === "/products?limit=1"))
      .toMatchObject({
        method: "GET",
        status: 200,
        correlationId: "cor_console_test",
      });
  });

  it("shows where the payment processor's circuit breakers stand, REST's and SOAP's", async () => {
    const { breakers } = JSON.parse((await get("/_sim/breakers")).body);
    expect(breakers).toEqual([
      expect.objectContaining({ name: "payment processor", state: "closed", consecutiveFailures: 0 }),
      expect.objectContaining({ name: "payment processor (SOAP)", state: "closed", consecutiveFailures: 0 }),
    ]);
  });

  it("records the RPCs of a checkout's saga under its correlation id, in the order they were made", async () => {
    let stdout = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    try {
      expect(await run(["node", "ecom", "checkout", "--url", url, "--json"])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const { order } = JSON.parse(stdout) as { order: { checkoutId: string } };
    const checkout = await platform.handle({
      method: "GET",
      url: `/checkouts/${order.checkoutId}`,
      headers: { authorization: `Bearer ${JSON.parse((await get("/_console/session")).body).tokens.admin}` },
      body: "",
    });
    const { correlationId } = JSON.parse(checkout.body) as { correlationId: string };
    const { calls } = JSON.parse((await get(`/_sim/rpcs?correlationId=${correlationId}`)).body) as {
      calls: { service: string; method: string; code: string }[];
    };
    const names = calls.map((call) => `${call.service.split(".")[1]}.${call.method}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "inventory.ReserveStock",
        "promotion.CalculateDiscount",
        "payment.Authorize",
        "payment.Capture",
      ]),
    );
    expect(names.indexOf("inventory.ReserveStock")).toBeLessThan(names.indexOf("payment.Capture"));
    expect(calls.every((call) => call.code === "ok")).toBe(true);
    expect((await get("/_sim/rpcs")).status).toBe(400);
  });
});
