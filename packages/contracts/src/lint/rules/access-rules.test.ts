import { describe, it } from "vitest";
import {
  edit,
  expectFindings,
  type Files,
  lineOf,
  lintFiles,
  minimal,
  type Want,
} from "../__fixtures__/lint-fixture.js";
import type { LintRule } from "../lint-rule.js";
import { adminDeclaredRule, restAccessRule, restRpcAgreeRule, rpcAccessRule } from "./access-rules.js";

type Case = [string, { given: Files; want: Want[] }];

const map = "contexts.yaml";
const proto = "proto/ecom/catalog/v1/catalog.proto";
const cart = "openapi/cart.yaml";

const table: [LintRule, Case[]][] = [];

{
  const missing = edit(minimal, map, "    rpcAccess:\n      ecom.catalog.v1.CatalogService/GetProduct: public\n", "");
  const stale = edit(
    minimal,
    map,
    "      ecom.catalog.v1.CatalogService/GetProduct: public\n",
    "      ecom.catalog.v1.CatalogService/GetProduct: public\n      ecom.catalog.v1.CatalogService/DeleteProduct: admin\n",
  );
  table.push([
    rpcAccessRule,
    [
      ["every RPC with a rule passes", { given: minimal, want: [] }],
      [
        "a new RPC without a rule fails at its line in the proto",
        { given: missing, want: [{ file: proto, line: lineOf(missing, proto, "rpc GetProduct") }] },
      ],
      [
        "a rule for a method the context does not serve",
        { given: stale, want: [{ file: map, line: lineOf(stale, map, "DeleteProduct") }] },
      ],
    ],
  ]);
}

{
  const admin = edit(
    minimal,
    cart,
    "      operationId: createCart\n",
    "      operationId: createCart\n      x-access: admin\n",
  );
  const wrongValue = edit(
    minimal,
    cart,
    "      operationId: createCart\n",
    "      operationId: createCart\n      x-access: internal\n",
  );
  const publicAdmin = edit(
    admin,
    cart,
    "      x-access: admin\n      summary: Open a cart\n      security: [{ bearerAuth: [] }]\n",
    "      x-access: admin\n      summary: Open a cart\n      security: []\n",
  );
  table.push([
    restAccessRule,
    [
      ["an admin operation with bearerAuth passes", { given: admin, want: [] }],
      [
        "a value other than admin",
        { given: wrongValue, want: [{ file: cart, line: lineOf(wrongValue, cart, "x-access") }] },
      ],
      [
        "a public operation marked admin",
        { given: publicAdmin, want: [{ file: cart, line: lineOf(publicAdmin, cart, "x-access") }] },
      ],
    ],
  ]);
}

{
  const saysAdmin = edit(minimal, cart, "      summary: Open a cart\n", "      summary: Open a cart (admin)\n");
  const declared = edit(
    saysAdmin,
    cart,
    "      operationId: createCart\n",
    "      operationId: createCart\n      x-access: admin\n",
  );
  table.push([
    adminDeclaredRule,
    [
      ["operations that do not say they are the admin's pass", { given: minimal, want: [] }],
      [
        "an operation its summary calls the admin's, without x-access (listFlashSales had none)",
        { given: saysAdmin, want: [{ file: cart, line: lineOf(saysAdmin, cart, "Open a cart (admin)") }] },
      ],
      ["the same operation declaring x-access: admin passes", { given: declared, want: [] }],
    ],
  ]);
}

{
  // The catalog serves GetProduct as an RPC (public in the minimal map) and, here, over REST too (bearerAuth).
  const catalog = "openapi/catalog.yaml";
  const twin = (rule: string): Files => {
    const files = edit(
      minimal,
      map,
      "ecom.catalog.v1.CatalogService/GetProduct: public",
      `ecom.catalog.v1.CatalogService/GetProduct: ${rule}`,
    );
    return { ...files, [catalog]: (files[cart] ?? "").replace("operationId: getCart", "operationId: getProduct") };
  };
  table.push([
    restRpcAgreeRule,
    [
      ["an RPC without a REST twin passes", { given: minimal, want: [] }],
      ["twins with the same rule pass", { given: twin("customer-own"), want: [] }],
      [
        "an RPC whose REST twin has another rule (ListCustomerOrderSummaries was admin, its REST twin customer-own)",
        { given: twin("admin"), want: [{ file: map, line: lineOf(twin("admin"), map, "CatalogService/GetProduct") }] },
      ],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
