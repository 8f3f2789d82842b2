import { randomBytes } from "node:crypto";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { inventoryV1, rpcAccess } from "@ecom/sdk/rpc";
import { serviceErrorsAsConnect } from "@ecom/services/platform";
import { describe, expect, it } from "vitest";
import { createAccessInterceptor } from "../access-policy.js";
import { createTokenService } from "../token-service.js";
import {
  contextOfService,
  createServiceTokens,
  SERVICE_TOKEN_LIFETIME_SECONDS,
  SERVICE_TOKEN_REMINT_SECONDS,
} from "./service-token.js";

const serviceKey = randomBytes(32);
const customerKey = randomBytes(32);
const start = Date.UTC(2026, 11, 6, 12, 0, 0);

function wallClock() {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
}

/** The customer token service, on a virtual clock of its own (service tokens never read it). */
function customerTokens(key: Buffer = customerKey) {
  let n = 0;
  return createTokenService(key, { now: () => new Date(start) }, { next: (prefix) => `${prefix}_${++n}` });
}

const customer = { customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role: "customer" as const };

/** Decode a JWT's claims, for assertions only. */
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;

describe("service tokens", () => {
  it("carry typ service, the caller as sub, the target as aud and five minutes of wall-clock time", () => {
    const clock = wallClock();
    const token = createServiceTokens({ key: serviceKey, now: clock.now }).tokenFor("order", "payment");
    expect(claimsOf(token)).toMatchObject({
      typ: "service",
      sub: "order",
      aud: "payment",
      exp: start / 1000 + SERVICE_TOKEN_LIFETIME_SECONDS,
    });
  });

  it("verify for their audience, naming the calling context", () => {
    const tokens = createServiceTokens({ key: serviceKey });
    const caller = tokens.verify(tokens.tokenFor("order", "payment"), "payment");
    expect(caller.context).toBe("order");
  });

  it("are minted again a minute before they expire, and reused until then", () => {
    const clock = wallClock();
    const tokens = createServiceTokens({ key: serviceKey, now: clock.now });
    const first = tokens.tokenFor("order", "payment");
    clock.advance(SERVICE_TOKEN_LIFETIME_SECONDS - SERVICE_TOKEN_REMINT_SECONDS - 1);
    expect(tokens.tokenFor("order", "payment")).toBe(first);
    expect(tokens.tokenFor("order", "inventory")).not.toBe(first);
    clock.advance(1);
    const second = tokens.tokenFor("order", "payment");
    expect(second).not.toBe(first);
    expect(claimsOf(second).exp).toBe(start / 1000 + 2 * SERVICE_TOKEN_LIFETIME_SECONDS - SERVICE_TOKEN_REMINT_SECONDS);
  });

  // [name, { given: a token for the `payment` audience's verifier, want: the reason in the error }]
  const refused: [string, { token: () => string; now?: number; want: RegExp }][] = [
    [
      "a forged token (signed with another key)",
      {
        token: () => createServiceTokens({ key: randomBytes(32) }).tokenFor("order", "payment"),
        want: /bad signature/,
      },
    ],
    [
      "a token whose claims were edited after signing",
      {
        token: () => {
          const token = createServiceTokens({ key: serviceKey }).tokenFor("order", "inventory");
          const [head, , signature] = token.split(".");
          const claims = { ...claimsOf(token), aud: "payment" };
          return `${head}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
        },
        want: /bad signature/,
      },
    ],
    [
      "an expired token",
      {
        token: () => createServiceTokens({ key: serviceKey, now: () => start }).tokenFor("order", "payment"),
        now: start + SERVICE_TOKEN_LIFETIME_SECONDS * 1000,
        want: /expired/,
      },
    ],
    [
      "a token for another context",
      {
        token: () => createServiceTokens({ key: serviceKey }).tokenFor("order", "inventory"),
        want: /meant for inventory, not payment/,
      },
    ],
    [
      "a customer's token, even one signed with the service-token key",
      {
        token: () => customerTokens(serviceKey).issue(customer, { expiresInSeconds: 900 }),
        want: /not a service token/,
      },
    ],
    [
      "a customer's token signed with the customer key",
      { token: () => customerTokens().issue(customer, { expiresInSeconds: 900 }), want: /bad signature/ },
    ],
    ["something that is not a JWT", { token: () => "service", want: /not a JWT/ }],
  ];
  it.each(refused)("refuse %s", (_name, { token, now, want }) => {
    const verifier = createServiceTokens({ key: serviceKey, now: () => now ?? start });
    const given = token();
    let thrown: unknown;
    try {
      verifier.verify(given, "payment");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: "unauthenticated", message: expect.stringMatching(want) });
  });

  it("are refused by the customer token service, whatever key signed them", () => {
    for (const key of [customerKey, serviceKey]) {
      const token = createServiceTokens({ key }).tokenFor("order", "payment");
      expect(() => customerTokens(key).verify(token, { type: "access" })).toThrow(
        expect.objectContaining({ code: "unauthenticated" }),
      );
    }
    const sameKey = createServiceTokens({ key: customerKey }).tokenFor("order", "payment");
    expect(() => customerTokens().verify(sameKey)).toThrow(/a service token is not a customer token/);
  });

  it("refuse a key shorter than 32 bytes", () => {
    expect(() => createServiceTokens({ key: randomBytes(16) })).toThrow(/at least 32/);
  });

  it("name the context of a proto service", () => {
    expect(contextOfService("ecom.inventory.v1.InventoryService")).toBe("inventory");
    expect(contextOfService("grpc.health.v1.Health")).toBeUndefined();
  });
});

describe("the access interceptor of a process serving contexts to others", () => {
  /** An inventory that answers ReserveStock (internal) and QueryStock (public), behind the access interceptor. */
  function inventoryClient(options: { serviceTokens: boolean }, authorization?: string) {
    const transport = createRouterTransport(
      (router) =>
        router.service(inventoryV1.InventoryService, {
          reserveStock: () => ({}),
          queryStock: () => ({}),
        }),
      {
        router: {
          interceptors: [
            serviceErrorsAsConnect,
            createAccessInterceptor({
              tokens: customerTokens(),
              rules: rpcAccess,
              ...(options.serviceTokens ? { serviceTokens: createServiceTokens({ key: serviceKey }) } : {}),
            }),
          ],
        },
      },
    );
    const client = createClient(inventoryV1.InventoryService, transport);
    const headers = authorization === undefined ? undefined : { authorization };
    return {
      reserve: () => client.reserveStock({}, headers ? { headers } : {}),
      query: () => client.queryStock({}, headers ? { headers } : {}),
    };
  }
  const codeOf = async (call: () => Promise<unknown>) => {
    try {
      await call();
      return "ok";
    } catch (error) {
      return Code[ConnectError.from(error).code];
    }
  };
  const serviceBearer = (caller: string, target: string, key: Uint8Array = serviceKey) =>
    `Bearer ${createServiceTokens({ key }).tokenFor(caller, target)}`;

  it("lets an internal RPC through with a valid service token for the called context", async () => {
    expect(await codeOf(inventoryClient({ serviceTokens: true }, serviceBearer("order", "inventory")).reserve)).toBe(
      "ok",
    );
  });

  // [name, { authorization, want: ReserveStock's Connect code }]
  const table: [string, { authorization?: () => string; want: string }][] = [
    ["no token", { want: "PermissionDenied" }],
    [
      "a forged service token",
      { authorization: () => serviceBearer("order", "inventory", randomBytes(32)), want: "Unauthenticated" },
    ],
    [
      "a service token for another context",
      { authorization: () => serviceBearer("order", "payment"), want: "Unauthenticated" },
    ],
    [
      "an expired service token",
      {
        authorization: () =>
          `Bearer ${createServiceTokens({ key: serviceKey, now: () => Date.now() - SERVICE_TOKEN_LIFETIME_SECONDS * 1000 }).tokenFor("order", "inventory")}`,
        want: "Unauthenticated",
      },
    ],
    [
      "a customer's token",
      {
        authorization: () => `Bearer ${customerTokens().issue(customer, { expiresInSeconds: 900 })}`,
        want: "PermissionDenied",
      },
    ],
  ];
  it.each(table)("refuses an internal RPC with %s", async (_name, { authorization, want }) => {
    expect(await codeOf(inventoryClient({ serviceTokens: true }, authorization?.()).reserve)).toBe(want);
  });

  it("refuses a service token where no service tokens are accepted (the public port), even on a public RPC", async () => {
    const client = inventoryClient({ serviceTokens: false }, serviceBearer("order", "inventory"));
    expect(await codeOf(client.reserve)).toBe("Unauthenticated");
    expect(await codeOf(client.query)).toBe("Unauthenticated");
  });

  it("still takes customers' tokens on public RPCs", async () => {
    const bearer = `Bearer ${customerTokens().issue(customer, { expiresInSeconds: 900 })}`;
    expect(await codeOf(inventoryClient({ serviceTokens: true }, bearer).query)).toBe("ok");
  });
});
