import { fileURLToPath } from "node:url";
import { Parser } from "@asyncapi/parser";
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";
import { joinAsyncApi, joinOpenApi } from "./joined-contracts.js";

const contractsDir = fileURLToPath(new URL("../../../contracts", import.meta.url));

/** Every `$ref` string of a document. */
function refsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsOf(item, found);
  else if (value && typeof value === "object")
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") found.push(item);
      else refsOf(item, found);
    }
  return found;
}

describe("joinOpenApi", () => {
  const joined = joinOpenApi(contractsDir);

  it("passes Redocly's recommended rules with no error", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({
      source: JSON.stringify(joined),
      absoluteRef: "/openapi.json",
      config,
    });
    const errors = problems.filter((problem) => problem.severity === "error");
    expect(errors.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual(
      [],
    );
  });

  it("holds every context's paths, and prefixes components with their context or common", () => {
    const paths = Object.keys(joined.paths as object);
    expect(paths).toEqual(expect.arrayContaining(["/products", "/orders", "/carts/{cartId}/checkout", "/auth/login"]));
    const schemas = Object.keys((joined.components as { schemas: object }).schemas);
    expect(schemas).toEqual(expect.arrayContaining(["order.Order", "common.Problem", "common.Money"]));
    expect(schemas.every((name) => /^[a-z]+\.[A-Za-z0-9_]+$/.test(name))).toBe(true);
  });

  it("leaves only local $refs, each of which resolves", () => {
    for (const ref of refsOf(joined)) {
      expect(ref.startsWith("#/")).toBe(true);
      let node: unknown = joined;
      for (const part of ref.slice(2).split("/"))
        node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
      expect(node, ref).toBeDefined();
    }
  });

  it("keeps the bearer scheme under its own name, since security requirements name it", () => {
    expect(Object.keys((joined.components as { securitySchemes: object }).securitySchemes)).toEqual(["bearerAuth"]);
  });
});

describe("joinAsyncApi", () => {
  const joined = joinAsyncApi(contractsDir);

  it("parses and validates with @asyncapi/parser without an error", async () => {
    const { diagnostics } = await new Parser().parse(JSON.stringify(joined));
    const errors = diagnostics.filter((diagnostic) => diagnostic.severity === 0);
    expect(errors.map((error) => `${error.code}: ${error.message} at ${error.path.join("/")}`)).toEqual([]);
  });

  it("names channels and operations after their context", () => {
    expect(Object.keys(joined.channels as object)).toContain("order.orderCreated");
    expect(Object.keys(joined.operations as object)).toContain("order.publishOrderCreated");
    for (const ref of refsOf(joined)) expect(ref.startsWith("#/")).toBe(true);
  });
});
