import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "./seeded-random.js";
import { createSimGuard, isLoopbackHost, simRouteIsGuarded } from "./sim-access.js";
import { createTokenService } from "./token-service.js";
import { createUlidIds } from "./ulid-ids.js";
import { VirtualClock } from "./virtual-clock.js";

describe("the /_sim guard", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["[::1]", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.10", false],
    ["example.com", false],
  ])("tells whether %s is loopback", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it.each([
    ["GET", "/_sim/log", true],
    ["GET", "/_sim/events", true],
    ["POST", "/_sim/clock/advance", true],
    ["POST", "/_sim/faults", true],
    ["POST", "/_sim/settle", true],
    ["GET", "/_sim/clock", false],
    ["GET", "/_sim/faults", false],
    ["GET", "/healthz", false],
    ["GET", "/products", false],
  ])("guards %s %s off loopback: %s", (method, path, guarded) => {
    expect(simRouteIsGuarded(method, path)).toBe(guarded);
  });
});

describe("a trusted caller (whose traceparent the public edge honours)", () => {
  const clock = new VirtualClock();
  const tokens = createTokenService(randomBytes(32), clock, createUlidIds(clock, createSeededRandom(1)));
  const bearer = (role: "admin" | "customer") =>
    `Bearer ${tokens.issue({ customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role }, { expiresInSeconds: 600 })}`;

  it("is anyone while the server listens on loopback", () => {
    const guard = createSimGuard(tokens);
    guard.boundTo("127.0.0.1");
    expect(guard.trusts(undefined)).toBe(true);
  });

  it("is only an admin's token once it listens on an address others can reach", () => {
    const guard = createSimGuard(tokens);
    guard.boundTo("0.0.0.0");
    expect(guard.trusts(undefined)).toBe(false);
    expect(guard.trusts("Bearer not-a-token")).toBe(false);
    expect(guard.trusts(bearer("customer"))).toBe(false);
    expect(guard.trusts(bearer("admin"))).toBe(true);
  });
});
