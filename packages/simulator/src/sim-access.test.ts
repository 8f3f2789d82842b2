import { describe, expect, it } from "vitest";
import { isLoopbackHost, simRouteIsGuarded } from "./sim-access.js";

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
    ["GET", "/_sim/clock", false],
    ["GET", "/_sim/faults", false],
    ["GET", "/healthz", false],
    ["GET", "/products", false],
  ])("guards %s %s off loopback: %s", (method, path, guarded) => {
    expect(simRouteIsGuarded(method, path)).toBe(guarded);
  });
});
