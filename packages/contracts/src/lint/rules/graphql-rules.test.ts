import { describe, it } from "vitest";
import {
  edit,
  expectFindings,
  type Files,
  lineOf,
  lintFiles,
  minimal,
  type Want,
  without,
} from "../__fixtures__/lint-fixture.js";
import type { LintRule } from "../lint-rule.js";
import { graphqlFieldNaming, graphqlListBounded, graphqlOperationsValid, graphqlSchemaValid } from "./graphql-rules.js";

type Case = [string, { given: Files; want: Want[] }];

const SCHEMA = "graphql/catalog.graphql";
const OPERATIONS = "graphql/operations/catalog.graphql";

/** The minimal fixture with a small, valid GraphQL contract for its catalog context and one SDK operation. */
const withGraphql: Files = {
  ...minimal,
  [SCHEMA]: `"Read the catalog."
type Query {
  product(id: ID!): Product
  products(first: Int = 20): [Product!]!
}

type Product {
  id: ID!
  title: String!
}
`,
  [OPERATIONS]: `query ProductTitle($id: ID!) {
  product(id: $id) {
    title
  }
}
`,
};

const at = (given: Files, file: string, needle: string, message?: string): Want => ({
  file,
  line: lineOf(given, file, needle),
  ...(message !== undefined ? { message } : {}),
});

const table: [LintRule, Case[]][] = [];

{
  const broken = edit(withGraphql, SCHEMA, "  title: String!\n}", "  title: String!\n");
  const unknownType = edit(withGraphql, SCHEMA, "title: String!", "title: Title!");
  const noQuery = edit(withGraphql, SCHEMA, "type Query {", "type Lookup {");
  const strayContext = { ...without(withGraphql, SCHEMA), "graphql/warehouse.graphql": withGraphql[SCHEMA]! };
  table.push([
    graphqlSchemaValid,
    [
      ["a valid schema passes", { given: withGraphql, want: [] }],
      ["a set without GraphQL passes", { given: minimal, want: [] }],
      ["a syntax error is reported at its line", { given: broken, want: [{ file: SCHEMA, line: 11 }] }],
      ["an unknown type is reported", { given: unknownType, want: [at(unknownType, SCHEMA, "Title!")] }],
      ["a schema without Query is reported", { given: noQuery, want: [{ file: SCHEMA, line: 1 }] }],
      [
        "a schema named for no context is reported",
        {
          given: strayContext,
          want: [{ file: "graphql/warehouse.graphql", line: 1, message: 'no context "warehouse"' }],
        },
      ],
    ],
  ]);
}

{
  const column = edit(withGraphql, SCHEMA, "  title: String!", "  publisher_name: String!");
  const argument = edit(withGraphql, SCHEMA, "product(id: ID!)", "product(product_id: ID!)");
  const table_ = edit(withGraphql, SCHEMA, "type Product {", "type search_documents {");
  const typeRef = edit(table_, SCHEMA, "Product", "search_documents");
  const both = edit(typeRef, SCHEMA, "[Product!]!", "[search_documents!]!");
  table.push([
    graphqlFieldNaming,
    [
      ["camelCase fields and PascalCase types pass", { given: withGraphql, want: [] }],
      ["a column name as a field is reported", { given: column, want: [at(column, SCHEMA, "publisher_name")] }],
      ["a column name as an argument is reported", { given: argument, want: [at(argument, SCHEMA, "product_id")] }],
      ["a table name as a type is reported", { given: both, want: [at(both, SCHEMA, "type search_documents")] }],
    ],
  ]);
}

{
  const unbounded = edit(withGraphql, SCHEMA, "products(first: Int = 20)", "products");
  const wrongType = edit(withGraphql, SCHEMA, "first: Int = 20", "first: String");
  table.push([
    graphqlListBounded,
    [
      ["a list with first: Int passes", { given: withGraphql, want: [] }],
      ["a list without a bound is reported", { given: unbounded, want: [at(unbounded, SCHEMA, "products")] }],
      ["a bound that is not an Int is reported", { given: wrongType, want: [at(wrongType, SCHEMA, "products")] }],
    ],
  ]);
}

{
  const unknownField = edit(withGraphql, OPERATIONS, "    title", "    price");
  const anonymous = edit(withGraphql, OPERATIONS, "query ProductTitle($id: ID!)", "query ($id: ID!)");
  const orphan = { ...without(withGraphql, SCHEMA) };
  table.push([
    graphqlOperationsValid,
    [
      ["valid operations pass", { given: withGraphql, want: [] }],
      ["a field the schema lacks is reported", { given: unknownField, want: [at(unknownField, OPERATIONS, "price")] }],
      ["an anonymous operation is reported", { given: anonymous, want: [{ file: OPERATIONS, line: 1 }] }],
      ["operations without their schema are reported", { given: orphan, want: [{ file: OPERATIONS, line: 1 }] }],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
