import { describe, expect, it } from "vitest";
import { createTokenService } from "./token-service.js";

describe("the token service", () => {
  const secret = Buffer.alloc(32, 7);
  let now = new Date("2026-01-01T00:00:00.000Z");
  const clock = { now: () => now };
  let counter = 0;
  const ids = { next: (prefix: string) => `${prefix}_${++counter}` };
  const customer = { customerId: "cus_1", role: "customer" as const };

  it("still expires a token it verified before, and still checks its type, at each use", () => {
    now = new Date("2026-01-01T00:00:00.000Z");
    const tokens = createTokenService(secret, clock, ids);
    const token = tokens.issue(customer, { expiresInSeconds: 60 });
    expect(tokens.verify(token, { type: "access" })).toMatchObject({ customerId: "cus_1", role: "customer" });
    expect(tokens.verify(token, { type: "access" })).toMatchObject({ customerId: "cus_1", role: "customer" });
    expect(() => tokens.verify(token, { type: "refresh" })).toThrow(/not an refresh token/);
    now = new Date(now.getTime() + 60_000);
    expect(() => tokens.verify(token, { type: "access" })).toThrow(/expired/);
  });

  it("refuses a token altered after its original was verified, and one signed with another secret", () => {
    now = new Date("2026-01-01T00:00:00.000Z");
    const tokens = createTokenService(secret, clock, ids);
    const token = tokens.issue(customer, { expiresInSeconds: 60 });
    tokens.verify(token);
    const [head, , signature] = token.split(".");
    const admin = Buffer.from(JSON.stringify({ sub: "cus_1", role: "admin", typ: "access", exp: 2e9 })).toString(
      "base64url",
    );
    expect(() => tokens.verify(`${head}.${admin}.${signature}`)).toThrow(/bad signature/);
    const other = createTokenService(Buffer.alloc(32, 8), clock, ids);
    expect(() => other.verify(token)).toThrow(/bad signature/);
  });
});
