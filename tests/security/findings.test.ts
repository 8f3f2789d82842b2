import { request as httpRequest } from "node:http";
import { restContexts } from "@ecom/sdk/contracts";
import { devAccounts } from "@ecom/services";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SecurityKit, startKit } from "./security-kit.js";

// Regression tests for the smaller findings of issue 11 (finding 5), each named for what broke, over the port.

let kit: SecurityKit;
let adminToken: string;
beforeAll(async () => {
  kit = await startKit();
  const login = await fetch(`${kit.url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: devAccounts.admin.email, password: devAccounts.admin.password }),
  });
  adminToken = ((await login.json()) as { accessToken: string }).accessToken;
});
afterAll(async () => {
  await kit.close();
});

const exampleBody = (context: string, operationId: string) =>
  restContexts[context as keyof typeof restContexts]?.operations.find(
    (operation) => operation.operationId === operationId,
  )?.requestBody?.example as Record<string, unknown>;

/** A raw HTTP/1.1 request (fetch would normalise the path and set its own headers). */
function raw(
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = new URL(kit.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port, method, path, headers: options.headers, localAddress: options.localAddress },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

describe("finding 5", () => {
  it('"usageLimit": 1e400 was accepted and stored as Infinity', async () => {
    const before = await kit.stateHash();
    const body = JSON.stringify({ ...exampleBody("promotion", "createPromotion"), usageLimit: 1 }).replace(
      '"usageLimit":1',
      '"usageLimit":1e400',
    );
    const response = await raw("POST", "/promotions", {
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body,
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: "validation" });
    expect(await kit.stateHash()).toBe(before);
  });

  it("a JSON body with Content-Type: text/plain was accepted (now 415), and so was one without a Content-Type", async () => {
    const body = JSON.stringify(exampleBody("customer", "registerCustomer"));
    for (const headers of [{ "content-type": "text/plain" }, {} as Record<string, string>]) {
      const response = await raw("POST", "/auth/register", { headers, body });
      expect(response.status).toBe(415);
      expect(JSON.parse(response.body)).toMatchObject({ status: 415, code: "unsupported_media_type" });
    }
  });

  it('a 413 said "status": 400 in its problem body', async () => {
    const response = await raw("POST", "/auth/register", {
      headers: { "content-type": "application/json" },
      body: `{"email":"${"a".repeat(1024 * 1024 + 10)}"}`,
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ status: 413, code: "payload_too_large" });
  });

  it("a 405 said 404 in its problem body", async () => {
    const response = await raw("PUT", "/auth/login");
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("POST");
    expect(JSON.parse(response.body)).toMatchObject({ status: 405, code: "method_not_allowed" });
  });

  it("operations applied an Idempotency-Key their contract does not declare", async () => {
    const login = (password: string) =>
      raw("POST", "/auth/login", {
        headers: { "content-type": "application/json", "idempotency-key": "undeclared-key-1" },
        body: JSON.stringify({ email: devAccounts.customer.email, password }),
      });
    expect((await login(devAccounts.customer.password)).status).toBe(200);
    // Another body under the same key: not 422, since login takes no key; and the first answer is not replayed.
    expect((await login("not-the-password")).status).toBe(401);
    const again = await login(devAccounts.customer.password);
    expect(again.status).toBe(200);
    expect(again.headers["idempotent-replayed"]).toBeUndefined();
  });
});

describe("Idempotency-Keys are scoped per caller", () => {
  it("anonymous callers from two addresses no longer share one scope", async () => {
    const register = (email: string, localAddress: string) =>
      raw("POST", "/auth/register", {
        localAddress,
        headers: { "content-type": "application/json", "idempotency-key": "shared-anonymous-key" },
        body: JSON.stringify({ email, password: "a-long-enough-password", firstName: "A", lastName: "B" }),
      });
    expect((await register("first@example.com", "127.0.0.2")).status).toBe(201);
    // Before: 422, the key was "used for a different request" by a stranger.
    expect((await register("second@example.com", "127.0.0.3")).status).toBe(201);
    // The same caller with another body under its own key still gets 422.
    expect((await register("third@example.com", "127.0.0.2")).status).toBe(422);
  });
});

describe("paths with dot segments or encoded slashes", () => {
  it.each(["/carts/x/../../_sim/log", "/carts/%2e%2e/%2e%2e/_sim/log", "/_sim%2flog", "/products/.."])(
    "%s is 400, never normalised into another route",
    async (path) => {
      const response = await raw("GET", path);
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toMatchObject({ status: 400, code: "validation" });
    },
  );
});
