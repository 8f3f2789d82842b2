import { restContexts } from "@ecom/sdk/contracts";
import { lazyRestContext, type RestContextBinding, type RestOperationInfo } from "@ecom/sdk/runtime/v1";
import { describe, expect, it } from "vitest";
import { RestRouter } from "./rest-router.js";

/** A concrete path for an operation's template, each parameter filled with a value of its own. */
const concrete = (template: string) => template.replace(/\{([^}]+)\}/g, (_match, name: string) => `v_${name}`);

function binding(
  operations: readonly Pick<RestOperationInfo, "operationId" | "method" | "path">[],
): RestContextBinding {
  return lazyRestContext(
    operations.map((operation) => ({
      ...operation,
      summary: operation.operationId,
      requiresAuth: false,
      access: "public",
      parameters: [],
      responses: [],
    })),
    async () => [{}, {}],
  );
}

describe("RestRouter", () => {
  const router = new RestRouter();
  const operations = Object.values(restContexts).flatMap((context) => context.operations);

  it("routes a concrete path of every contract operation to an operation of that method and template shape", () => {
    for (const operation of operations) {
      const routed = router.route(operation.method, concrete(operation.path));
      expect(routed.kind, `${operation.method} ${operation.path}`).toBe("match");
      if (routed.kind !== "match") continue;
      // A literal sibling (`/customers/me` beside `/customers/{customerId}`) may win; the parameters must agree.
      expect(routed.match.operation.method).toBe(operation.method);
      expect(routed.match.operation.path.split("/").length).toBe(operation.path.split("/").length);
    }
  });

  it("names the path parameters, percent-decoded", () => {
    const routed = router.route("GET", "/products/prd%5F1");
    expect(routed.kind === "match" && routed.match.path).toEqual({ productId: "prd_1" });
  });

  it("prefers a literal segment over a parameter", () => {
    const routed = router.route("GET", "/customers/me");
    expect(routed.kind === "match" && routed.match.operation.path).toBe("/customers/me");
  });

  it("answers 405 material (the methods the path takes) for a known path with another method", () => {
    const routed = router.route("PATCH", "/products");
    expect(routed).toEqual({ kind: "method", allowed: expect.arrayContaining(["GET", "POST"]) });
  });

  it("finds nothing for unknown first segments, extra segments and a trailing slash", () => {
    expect(router.route("GET", "/nothing-here").kind).toBe("none");
    expect(router.route("GET", "/products/p1/extra/more/segments").kind).toBe("none");
    expect(router.route("GET", "/products/").kind).toBe("none");
    expect(router.route("GET", "/").kind).toBe("none");
  });

  it("keeps routes whose first segment is a parameter, behind the literal ones of the same length", () => {
    const mixed = new RestRouter({
      shop: binding([
        { operationId: "byTenant", method: "GET", path: "/{tenant}/orders" },
        { operationId: "health", method: "GET", path: "/status/orders" },
        { operationId: "tenant", method: "GET", path: "/{tenant}" },
      ]),
    });
    const at = (path: string) => {
      const routed = mixed.route("GET", path);
      return routed.kind === "match" ? [routed.match.operation.operationId, routed.match.path] : routed.kind;
    };
    expect(at("/status/orders")).toEqual(["health", {}]);
    expect(at("/acme/orders")).toEqual(["byTenant", { tenant: "acme" }]);
    expect(at("/status")).toEqual(["tenant", { tenant: "status" }]);
    expect(at("/acme/orders/1")).toBe("none");
  });
});
