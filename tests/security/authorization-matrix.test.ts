import { Code, ConnectError, createClient as createConnectClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { restContexts } from "@ecom/sdk/contracts";
import { paymentV1, rpcAccess } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { forgedTokens, type SecurityKit, startKit } from "./security-kit.js";

// The authorization matrix: every REST operation and every RPC of the contracts, called by everyone who must not
// succeed (no token, an expired token, forged ones, a customer on an admin operation, anyone from outside on an
// internal RPC): no call succeeds, and no store or the event log changes.

const CUSTOMER = "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E";

let kit: SecurityKit;
let attackers: { name: string; authorization: string | undefined; want: number }[];
/** The state before any attack; compared after each block (a hash per call would take minutes). */
let untouched: string;
let lastSeq: number;
beforeAll(async () => {
  kit = await startKit();
  untouched = await kit.stateHash();
  lastSeq = await kit.platform.eventLog.lastSeq();
  const genuine = kit.token(CUSTOMER);
  const expired = kit.tokens.issue({ customerId: CUSTOMER, role: "admin" }, { expiresInSeconds: -60 });
  attackers = [
    { name: "expired admin token", authorization: `Bearer ${expired}`, want: 401 },
    ...Object.entries(forgedTokens(genuine)).map(([name, token]) => ({
      name: `forged token (${name})`,
      authorization: `Bearer ${token}`,
      want: 401,
    })),
    { name: "malformed Authorization header", authorization: "Basic YWRtaW46YWRtaW4=", want: 401 },
  ];
});
afterAll(async () => {
  await kit.close();
});

const operations = Object.entries(restContexts).flatMap(([context, binding]) =>
  binding.operations.map((operation) => ({ context, operation })),
);

/** The operation's path with every parameter filled with a value of the right shape. */
const pathOf = (path: string) => path.replace(/\{([^}]+)\}/g, "prm_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A");

async function call(method: string, path: string, authorization: string | undefined) {
  const response = await fetch(`${kit.url}${path}`, {
    method,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(method === "GET" || method === "DELETE" ? {} : { "content-type": "application/json" }),
    },
    ...(method === "GET" || method === "DELETE" ? {} : { body: "{}" }),
  });
  const body = await response.text();
  return { status: response.status, body };
}

describe("REST: every operation refuses whoever may not call it, and changes nothing", () => {
  it.each(operations.filter(({ operation }) => !operation.responses.some((response) => response.status === "101")))(
    "$context $operation.operationId",
    async ({ operation }) => {
      const before = await kit.stateHash();
      const path = pathOf(operation.path);
      const cases = [...attackers];
      if (operation.access !== "public") cases.push({ name: "no token", authorization: undefined, want: 401 });
      if (operation.access === "admin")
        cases.push({
          name: "customer on an admin operation",
          authorization: `Bearer ${kit.token(CUSTOMER)}`,
          want: 403,
        });
      for (const attacker of cases) {
        const { status, body } = await call(operation.method, path, attacker.authorization);
        expect({ attacker: attacker.name, status }).toEqual({ attacker: attacker.name, status: attacker.want });
        expect(JSON.parse(body)).toMatchObject({ status: attacker.want });
      }
      expect(await kit.stateHash()).toBe(before);
    },
  );

  it.each(operations.filter(({ operation }) => operation.responses.some((response) => response.status === "101")))(
    "WebSocket $context $operation.operationId refuses the handshake without a valid token",
    async ({ operation }) => {
      const cases = [...attackers, { name: "no token", authorization: undefined, want: 401 }];
      for (const attacker of cases) {
        const status = await new Promise<number>((resolve, reject) => {
          const socket = new WebSocket(`${kit.url.replace("http", "ws")}${pathOf(operation.path)}`, {
            headers: attacker.authorization ? { authorization: attacker.authorization } : {},
          });
          socket.on("unexpected-response", (_request, response) => {
            resolve(response.statusCode ?? 0);
            socket.terminate();
          });
          socket.on("open", () => reject(new Error(`${attacker.name} opened ${operation.path}`)));
          socket.on("error", () => {});
        });
        expect({ attacker: attacker.name, status }).toEqual({ attacker: attacker.name, status: attacker.want });
      }
    },
  );
});

describe("RPC: every method refuses whoever may not call it, over the port, and changes nothing", () => {
  it.each(Object.entries(rpcAccess))("%s (%s)", async (name, rule) => {
    const cases = [...attackers.map((attacker) => ({ ...attacker, code: "unauthenticated" }))];
    if (rule === "internal") {
      cases.push(
        { name: "no token", authorization: undefined, want: 403, code: "permission_denied" },
        { name: "a customer", authorization: `Bearer ${kit.token(CUSTOMER)}`, want: 403, code: "permission_denied" },
        {
          name: "an admin",
          authorization: `Bearer ${kit.token(CUSTOMER, "admin")}`,
          want: 403,
          code: "permission_denied",
        },
      );
    }
    if (rule === "admin" || rule === "customer-own")
      cases.push({ name: "no token", authorization: undefined, want: 401, code: "unauthenticated" });
    if (rule === "admin")
      cases.push({
        name: "a customer",
        authorization: `Bearer ${kit.token(CUSTOMER)}`,
        want: 403,
        code: "permission_denied",
      });
    for (const attacker of cases) {
      const response = await fetch(`${kit.url}/${name}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(attacker.authorization ? { authorization: attacker.authorization } : {}),
        },
        body: "{}",
      });
      const body = (await response.json()) as { code?: string };
      expect({ attacker: attacker.name, status: response.status, code: body.code }).toEqual({
        attacker: attacker.name,
        status: attacker.want,
        code: attacker.code,
      });
    }
    expect(await kit.platform.eventLog.lastSeq()).toBe(lastSeq);
  });
});

describe("finding 1: Connect RPCs on the public port needed no token", () => {
  const refund = {
    paymentId: "pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
    amount: { amountMinor: 100n, currency: "USD" },
    idempotencyKey: "attacker-refund-1",
  };
  it.each([
    ["Connect", () => createConnectTransport({ baseUrl: kit.url, httpVersion: "1.1" })],
    ["gRPC-web", () => createGrpcWebTransport({ baseUrl: kit.url, httpVersion: "1.1" })],
    ["gRPC", () => createGrpcTransport({ baseUrl: kit.url })],
  ])("a token-less Refund over %s is permission_denied", async (_protocol, transport) => {
    const client = createConnectClient(paymentV1.PaymentService, transport());
    const error = await client.refund(refund).then(
      () => undefined,
      (thrown: unknown) => ConnectError.from(thrown),
    );
    expect(error?.code).toBe(Code.PermissionDenied);
  });

  // Each RPC the finding names, with a request that would have acted: refused at the door, before any handler.
  const ID = "01JH8Z3Q4R5S6T7V8W9X0Y1Z2A";
  it.each([
    ["Refund refunded a stranger's payment", "ecom.payment.v1.PaymentService/Refund", refund],
    [
      "Authorize charged a stranger's saved card",
      "ecom.payment.v1.PaymentService/Authorize",
      {
        orderId: `ord_${ID}`,
        amount: { amountMinor: "100", currency: "USD" },
        paymentToken: `tok_${ID}`,
        idempotencyKey: "attacker-authorize-1",
      },
    ],
    ["Capture took the money", "ecom.payment.v1.PaymentService/Capture", { paymentId: `pay_${ID}` }],
    [
      "ReserveStock held stock for a day",
      "ecom.inventory.v1.InventoryService/ReserveStock",
      { checkoutId: `chk_${ID}`, items: [{ productId: `prd_${ID}`, quantity: 5 }], ttlSeconds: 86_400 },
    ],
    [
      "ReleaseStock released a committed reservation",
      "ecom.inventory.v1.InventoryService/ReleaseStock",
      { reservationId: `rsv_${ID}` },
    ],
    ["GetCustomer returned e-mail and name", "ecom.customer.v1.CustomerService/GetCustomer", { customerId: CUSTOMER }],
    [
      "GetAddress returned an address",
      "ecom.customer.v1.CustomerService/GetAddress",
      { customerId: CUSTOMER, addressId: `adr_${ID}` },
    ],
  ])("%s without a token: now permission_denied (%s)", async (_what, name, request) => {
    const response = await fetch(`${kit.url}/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request, (_key, value) => (typeof value === "bigint" ? String(value) : value)),
    });
    expect({ status: response.status, code: ((await response.json()) as { code?: string }).code }).toEqual({
      status: 403,
      code: "permission_denied",
    });
  });

  it("the platform's own contexts still call the same RPC in-process, with their service identity", async () => {
    // Reaches the handler (which finds no such payment) instead of being refused at the door.
    const error = await kit.platform.rpc.payment.refund(refund).then(
      () => undefined,
      (thrown: unknown) => ConnectError.from(thrown),
    );
    expect(error?.code).toBe(Code.NotFound);
  });
});

describe("after every refused call above", () => {
  it("no store and not the event log changed", async () => {
    expect(await kit.stateHash()).toBe(untouched);
  });
});
