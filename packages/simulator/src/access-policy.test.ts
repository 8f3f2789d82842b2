import type { Principal } from "@ecom/services/platform";
import { describe, expect, it } from "vitest";
import { type AccessRule, accessDenied, type Caller } from "./access-policy.js";

const principal = (role: Principal["role"]): Caller => ({
  kind: "principal",
  principal: { customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role },
});
const callers: Record<string, Caller> = {
  service: { kind: "service" },
  admin: principal("admin"),
  customer: principal("customer"),
  anonymous: { kind: "anonymous" },
};

describe("the access decision every protocol enforces", () => {
  // [rule, { caller: the error code, or "ok" }]
  const table: [AccessRule | undefined, Record<string, string>][] = [
    ["public", { service: "ok", admin: "ok", customer: "ok", anonymous: "ok" }],
    ["customer-own", { service: "ok", admin: "ok", customer: "ok", anonymous: "unauthenticated" }],
    ["admin", { service: "ok", admin: "ok", customer: "forbidden", anonymous: "unauthenticated" }],
    ["internal", { service: "ok", admin: "forbidden", customer: "forbidden", anonymous: "forbidden" }],
    [undefined, { service: "ok", admin: "forbidden", customer: "forbidden", anonymous: "forbidden" }],
  ];
  it.each(table)("rule %s", (rule, want) => {
    const got = Object.fromEntries(
      Object.entries(callers).map(([name, caller]) => [name, accessDenied(rule, caller, "X")?.code ?? "ok"]),
    );
    expect(got).toEqual(want);
  });
});
