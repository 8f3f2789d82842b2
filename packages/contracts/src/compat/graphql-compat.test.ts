import { describe, expect, it } from "vitest";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { CompatError } from "./compat-error.js";
import { formatCompatReport } from "./report-format.js";

const schema = `type Query {
  product(id: ID!): Product
  products(first: Int = 20): [Product!]!
}

type Product {
  id: ID!
  title: String!
  format: BookFormat!
}

enum BookFormat {
  hardcover
  paperback
}
`;

const PATH = "graphql/search.graphql";

/** Compare `base` (the schema above unless given) with `head`; undefined stands for no GraphQL file on that side. */
async function compare(head: string | undefined, base: { readonly text: string | undefined } = { text: schema }) {
  const side = (text: string | undefined) => createMemoryFiles(text === undefined ? {} : { [PATH]: text });
  return compareContracts({ base: side(base.text), head: side(head), fileRoot: "contracts" });
}

/** `schema` with the first `from` replaced by `to`. */
const edited = (from: string, to: string) => {
  if (!schema.includes(from)) throw new Error(`the schema has no ${from}`);
  return schema.replace(from, to);
};

describe("ecom compat on GraphQL schemas", () => {
  it.each([
    ["a removed field", edited("  title: String!\n", ""), "graphql/FIELD_REMOVED", "breaking", "Product.title", 6],
    [
      "a field made nullable",
      edited("title: String!", "title: String"),
      "graphql/FIELD_CHANGED_KIND",
      "breaking",
      "Product.title",
      8,
    ],
    [
      "a new required argument",
      edited("product(id: ID!)", "product(id: ID!, lang: String!)"),
      "graphql/REQUIRED_ARG_ADDED",
      "breaking",
      "Query.product",
      2,
    ],
    [
      "a removed enum value",
      edited("  paperback\n", ""),
      "graphql/VALUE_REMOVED_FROM_ENUM",
      "breaking",
      "BookFormat.paperback",
      12,
    ],
    [
      "an added enum value",
      edited("  paperback\n", "  paperback\n  ebook\n"),
      "graphql/VALUE_ADDED_TO_ENUM",
      "warning",
      "BookFormat.ebook",
      15,
    ],
    [
      "a changed default",
      edited("first: Int = 20", "first: Int = 10"),
      "graphql/ARG_DEFAULT_VALUE_CHANGE",
      "warning",
      "Query.products",
      3,
    ],
    [
      "an added optional argument",
      edited("product(id: ID!)", "product(id: ID!, lang: String)"),
      "graphql/OPTIONAL_ARG_ADDED",
      "info",
      "Query.product",
      2,
    ],
  ] as const)("classifies %s", async (_name, head, ruleId, severity, pointer, line) => {
    const report = await compare(head);
    expect(report.findings).toEqual([
      expect.objectContaining({ ruleId, severity, kind: "graphql", pointer, line, file: `contracts/${PATH}` }),
    ]);
  });

  it("finds nothing when only descriptions and comments change", async () => {
    const report = await compare(`# A comment\n"The root"\n${schema}`);
    expect(report.findings).toEqual([]);
  });

  it("reports a removed schema file as breaking and an added one as info", async () => {
    expect((await compare(undefined)).findings).toEqual([
      expect.objectContaining({ ruleId: "graphql/schema-removed", severity: "breaking" }),
    ]);
    expect((await compare(schema, { text: undefined })).findings).toEqual([
      expect.objectContaining({ ruleId: "graphql/schema-added", severity: "info" }),
    ]);
  });

  it("formats GraphQL findings like the others", async () => {
    const report = await compare(edited("  title: String!\n", ""));
    expect(formatCompatReport(report, "text")).toContain("graphql/FIELD_REMOVED");
    expect(formatCompatReport(report, "github")).toMatch(/^::error file=contracts\/graphql\/search\.graphql,line=6/m);
  });

  it("stops with a CompatError naming the file when a changed schema does not parse", async () => {
    await expect(compare("type Query {")).rejects.toThrow(CompatError);
    await expect(compare("type Query {")).rejects.toThrow(/graphql\/search\.graphql/);
  });
});
