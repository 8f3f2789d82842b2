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
import { eventTypeNaming, operationIdUnique, protoPackageNaming } from "./naming-rules.js";

type Case = [string, { given: Files; want: Want[] }];

const at = (given: Files, file: string, needle: string, after?: string, message?: string): Want => ({
  file,
  line: lineOf(given, file, needle, after),
  ...(message !== undefined ? { message } : {}),
});

const map = "contexts.yaml";
const cart = "asyncapi/cart.yaml";
const table: [LintRule, Case[]][] = [];

{
  const otherContext = edit(
    minimal,
    map,
    "      - ecommerce.catalog.product.created.v1\n",
    "      - ecommerce.product.product.created.v1\n",
  );
  const noVersion = edit(
    minimal,
    map,
    "- ecommerce.catalog.product.created.v1",
    "- ecommerce.catalog.product.created",
    "  cart:",
  );
  const nameNotAddress = edit(minimal, cart, "name: ecommerce.cart.cart.checked_out.v1", "name: cartCheckedOut");
  const foreignChannel = edit(
    minimal,
    cart,
    "address: ecommerce.cart.cart.expire.v1",
    "address: ecommerce.order.cart.expire.v1",
  );
  const wrongProducer = edit(minimal, cart, "producer: cart", "producer: order");
  const wrongMajor = edit(minimal, cart, 'schemaVersion: "1.0"', 'schemaVersion: "2.0"');
  table.push([
    eventTypeNaming,
    [
      ["well-named events and commands pass (a command's producer is its sender)", { given: minimal, want: [] }],
      [
        "a published event whose type names another context",
        {
          given: otherContext,
          want: [
            at(
              otherContext,
              map,
              "ecommerce.product.product.created.v1",
              undefined,
              "rename it to ecommerce.catalog.product.created.v1",
            ),
          ],
        },
      ],
      [
        "an event type without its .vN suffix",
        { given: noVersion, want: [at(noVersion, map, "- ecommerce.catalog.product.created\n", "  cart:")] },
      ],
      [
        "a message name that is not its channel address",
        {
          given: nameNotAddress,
          want: [
            at(nameNotAddress, cart, "name: cartCheckedOut", undefined, "set name: ecommerce.cart.cart.checked_out.v1"),
            at(
              nameNotAddress,
              cart,
              "eventType: ecommerce.cart.cart.checked_out.v1",
              undefined,
              "set eventType: cartCheckedOut",
            ),
          ],
        },
      ],
      [
        "a channel for another context's type",
        {
          given: foreignChannel,
          want: [
            at(foreignChannel, cart, "address: ecommerce.order.cart.expire.v1", undefined, "its type names order"),
            at(
              foreignChannel,
              cart,
              "name: ecommerce.cart.cart.expire.v1",
              undefined,
              "differs from its channel address",
            ),
          ],
        },
      ],
      [
        "an example produced by another context",
        { given: wrongProducer, want: [at(wrongProducer, cart, "producer: order")] },
      ],
      [
        "an example schemaVersion whose major is not the type's",
        { given: wrongMajor, want: [at(wrongMajor, cart, 'schemaVersion: "2.0"')] },
      ],
    ],
  ]);
}

{
  const duplicate = edit(minimal, "openapi/cart.yaml", "operationId: getCart", "operationId: listCarts");
  const acrossFiles = {
    ...minimal,
    "openapi/catalog.yaml": `openapi: 3.1.0
info: { title: catalog, version: 1.0.0 }
paths:
  /products:
    get:
      operationId: getCart
      responses:
        "200": { description: Products. }
`,
  };
  table.push([
    operationIdUnique,
    [
      ["unique operationIds pass", { given: minimal, want: [] }],
      [
        "an operationId used twice in one document",
        {
          given: duplicate,
          want: [
            at(
              duplicate,
              "openapi/cart.yaml",
              "operationId: listCarts",
              undefined,
              "also used by openapi/cart.yaml GET /carts/{cartId}",
            ),
            at(
              duplicate,
              "openapi/cart.yaml",
              "operationId: listCarts",
              "/carts/{cartId}:",
              "also used by openapi/cart.yaml GET /carts",
            ),
          ],
        },
      ],
      [
        "an operationId used in two documents",
        {
          given: acrossFiles,
          want: [
            at(acrossFiles, "openapi/cart.yaml", "operationId: getCart"),
            at(
              acrossFiles,
              "openapi/catalog.yaml",
              "operationId: getCart",
              undefined,
              "also used by openapi/cart.yaml",
            ),
          ],
        },
      ],
    ],
  ]);
}

{
  const proto = "proto/ecom/catalog/v1/catalog.proto";
  const unversioned = edit(minimal, proto, "package ecom.catalog.v1;", "package ecom.catalog;");
  const notAContext = edit(minimal, proto, "package ecom.catalog.v1;", "package ecom.shop.v1;");
  const sharedTypes = {
    ...minimal,
    "proto/ecom/common/v1/common.proto":
      'syntax = "proto3";\n\npackage ecom.common.v1;\n\nmessage Money {\n  int64 amount = 1;\n}\n',
  };
  table.push([
    protoPackageNaming,
    [
      ["a context's versioned package passes", { given: minimal, want: [] }],
      ["a shared package without services passes", { given: sharedTypes, want: [] }],
      ["a package without a version", { given: unversioned, want: [at(unversioned, proto, "package ecom.catalog;")] }],
      [
        "a package with services named for no context",
        {
          given: notAContext,
          want: [at(notAContext, proto, "package ecom.shop.v1;", undefined, "shop is not a context")],
        },
      ],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
