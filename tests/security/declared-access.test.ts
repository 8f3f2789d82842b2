import { Code, ConnectError, createClient as createConnectClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { restContexts } from "@ecom/sdk/contracts";
import { analyticsV1, rpcAccess } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SecurityKit, startKit } from "./security-kit.js";

// Two operations whose access rule was not declared where the access policy reads it: listFlashSales (the admin's,
// but without x-access, so the matrix tested it as customer-own and only its handler refused customers) and
// ListCustomerOrderSummaries (admin over RPC while its REST twin let a customer read their own). The contracts lint
// now catches both kinds (access/admin-declared, access/rest-rpc-agree; see access-rules.test.ts).

let kit: SecurityKit;
const alice = `cus_${"A".repeat(26)}`;
const bob = `cus_${"B".repeat(26)}`;
beforeAll(async () => {
  kit = await startKit();
});
afterAll(async () => {
  await kit.close();
});

const operation = (context: keyof typeof restContexts, operationId: string) =>
  restContexts[context]?.operations.find((candidate) => candidate.operationId === operationId);

describe("listFlashSales", () => {
  it("lacked x-access: admin; its rule is now admin, and only an admin lists flash sales", async () => {
    expect(operation("promotion", "listFlashSales")?.access).toBe("admin");
    const as = (token: string) => fetch(`${kit.url}/flash-sales`, { headers: { authorization: `Bearer ${token}` } });
    const refused = await as(kit.token(alice));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { code: string }).code).toBe("forbidden");
    expect((await as(kit.token(alice, "admin"))).status).toBe(200);
  });
});

describe("ListCustomerOrderSummaries", () => {
  const summaries = async (token: string, customerId: string) => {
    const transport = createConnectTransport({
      baseUrl: kit.url,
      httpVersion: "1.1",
      interceptors: [
        (next) => async (request) => {
          request.header.set("authorization", `Bearer ${token}`);
          return next(request);
        },
      ],
    });
    const client = createConnectClient(analyticsV1.AnalyticsService, transport);
    return client.listCustomerOrderSummaries({ customerId }).then(
      (answer) => answer.orders.length,
      (thrown: unknown) => ConnectError.from(thrown).code,
    );
  };

  it("was admin over RPC while REST let a customer read their own; both are customer-own now", () => {
    expect(operation("analytics", "listCustomerOrderSummaries")?.access).toBe("customer-own");
    expect(rpcAccess["ecom.analytics.v1.AnalyticsService/ListCustomerOrderSummaries"]).toBe("customer-own");
  });

  it("a customer reads their own over Connect, and another customer's is permission_denied, as over REST", async () => {
    expect(await summaries(kit.token(alice), alice)).toBe(0);
    expect(await summaries(kit.token(alice), bob)).toBe(Code.PermissionDenied);
    const rest = await fetch(`${kit.url}/analytics/customers/${bob}/orders`, {
      headers: { authorization: `Bearer ${kit.token(alice)}` },
    });
    expect(rest.status).toBe(403);
    expect(await summaries(kit.token(alice, "admin"), bob)).toBe(0);
  });
});
