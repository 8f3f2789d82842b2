import { buildSchema, parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { queryLimitsRule } from "./graphql-limits.js";

const schema = buildSchema(`
  type Query { node(id: ID): Node, nodes: [Node!]! }
  type Node { id: ID!, next: Node, name: String }
`);

/** The messages of the limits rule alone for `query`, with at most depth 3 and 6 fields. */
function refusals(query: string): string[] {
  return validate(schema, parse(query), [queryLimitsRule({ maxDepth: 3, maxFields: 6 })]).map((error) => error.message);
}

describe("the GraphQL query limits", () => {
  it.each([
    ["a query within both limits", "{ node { next { id } } }", []],
    ["one level too deep", "{ node { next { next { id } } } }", ["deeper than 3 levels"]],
    ["too many fields", "{ a: node { id } b: node { id } c: node { id } d: node { id } }", ["more than 6 fields"]],
    [
      "depth reached through a fragment",
      "query Deep { node { ...N } } fragment N on Node { next { next { id } } }",
      ["Deep asks for deeper than 3 levels"],
    ],
    [
      "fields multiplied by spreading a fragment twice",
      "{ node { ...F } nodes { ...F } } fragment F on Node { id name next { id } }",
      ["more than 6 fields"],
    ],
    ["a fragment cycle (left to graphql-js's own rule)", "{ node { ...A } } fragment A on Node { next { ...A } }", []],
  ] as const)("%s", (_name, query, want) => {
    const got = refusals(query);
    expect(got).toHaveLength(want.length);
    for (const [index, part] of want.entries()) expect(got[index]).toContain(part);
  });
});
