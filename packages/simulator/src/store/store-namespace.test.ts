import { describe, expect, it } from "vitest";
import { storeNamespace } from "./store-namespace.js";

describe("a store namespace", () => {
  it.each([
    ["the database's name", { url: "postgres://u@h:5432/Shop-Prod", namespace: undefined, want: "shop_prod" }],
    ["--namespace over the database", { url: "postgres://u@h/shop", namespace: "Team.A", want: "team_a" }],
    ["an encoded database name", { url: "postgres://u@h/my%20shop", namespace: undefined, want: "my_shop" }],
  ])("is %s, lowercased to [a-z0-9_]", (_name, { url, namespace, want }) => {
    expect(storeNamespace(url, namespace)).toBe(want);
  });

  it("is refused when the URL names no database or nothing usable", () => {
    expect(() => storeNamespace("postgres://u@h:5432/")).toThrow(/names no database/);
    expect(() => storeNamespace("postgres://u@h/shop", "...")).toThrow(/makes no namespace/);
    expect(() => storeNamespace("mysql://u@h/shop")).toThrow(/not a PostgreSQL URL/);
  });
});
