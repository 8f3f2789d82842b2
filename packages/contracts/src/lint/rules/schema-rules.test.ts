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
import { asyncapiEnvelope } from "./asyncapi-envelope.js";
import { exampleMatchesSchema, examplePresent } from "./examples.js";
import { refResolves } from "./ref-resolves.js";
import { moneyMinorUnits } from "./schema-money.js";

// The rules about schemas and examples: references resolve, examples match, money is never a float, every
// message travels in the one shared envelope.

type Case = [string, { given: Files; want: Want[] }];

const at = (given: Files, file: string, needle: string, options: { after?: string; message?: string } = {}): Want => ({
  file,
  line: lineOf(given, file, needle, options.after),
  ...(options.message !== undefined ? { message: options.message } : {}),
});

const openapi = "openapi/cart.yaml";
const asyncapi = "asyncapi/cart.yaml";
const schemas = "common/schemas.yaml";
const table: [LintRule, Case[]][] = [];

{
  const missingFile = edit(minimal, openapi, "../common/schemas.yaml#/CartId", "../common/schema.yaml#/CartId");
  const missingNode = edit(minimal, openapi, '#/components/schemas/Cart"', '#/components/schemas/Kart"');
  const remote = edit(minimal, openapi, "../common/schemas.yaml#/CartId", "https://example.com/ids.yaml#/CartId");
  const refInExample = edit(
    minimal,
    openapi,
    "example: { currency: USD }",
    "example: { currency: USD, $ref: not-a-reference }",
  );
  table.push([
    refResolves,
    [
      ["resolving references pass", { given: minimal, want: [] }],
      ["a $ref-shaped value inside an example is data, not a reference", { given: refInExample, want: [] }],
      [
        "a reference to a file that does not exist",
        { given: missingFile, want: [at(missingFile, openapi, "schema.yaml#/CartId", { message: "no such file" })] },
      ],
      [
        "a reference to a node that does not exist",
        {
          given: missingNode,
          want: [at(missingNode, openapi, "schemas/Kart", { message: "has nothing at /components/schemas/Kart" })],
        },
      ],
      ["a reference leaving the contract set", { given: remote, want: [at(remote, openapi, "https://example.com")] }],
    ],
  ]);
}

{
  const payload = edit(minimal, asyncapi, "            quantity: 2\n", "            quantity: 0\n");
  const headers = edit(minimal, asyncapi, "producer: cart", "producer: Cart");
  const requestBody = edit(minimal, openapi, "example: { currency: USD }", "example: { currency: usd }");
  const componentExample = edit(
    minimal,
    openapi,
    "subtotal: { amount: 4599, currency: USD }",
    "subtotal: { amount: -1, currency: USD }",
    "  examples:\n    Cart:",
  );
  const pathParameter = edit(minimal, openapi, "example: crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G", "example: cart-1");
  const sharedParameter = edit(minimal, "common/openapi.yaml", "example: 20", "example: 500");
  const schemaExamples = edit(minimal, schemas, "examples: [USD]", "examples: [usd]");
  const unresolved = edit(
    minimal,
    openapi,
    'subtotal: { $ref: "../common/schemas.yaml#/Money" }',
    'subtotal: { $ref: "../common/schemas.yaml#/Mony" }',
  );
  // dependentRequired exists in 2020-12 but not in draft-07: it shows which dialect each document is read in.
  const openapiDialect = edit(
    minimal,
    openapi,
    "      required: [currency]\n",
    "      required: [currency]\n      dependentRequired: { currency: [note] }\n",
  );
  const asyncapiDialect = edit(
    minimal,
    asyncapi,
    "      required: [cartId, quantity, subtotal]\n",
    "      required: [cartId, quantity, subtotal]\n      dependentRequired: { cartId: [note] }\n",
  );
  table.push([
    exampleMatchesSchema,
    [
      ["examples that match their schemas pass", { given: minimal, want: [] }],
      [
        "an AsyncAPI payload example below a minimum",
        { given: payload, want: [at(payload, asyncapi, "quantity: 0", { message: "/quantity must be >= 1" })] },
      ],
      [
        "an AsyncAPI headers example breaking the envelope",
        { given: headers, want: [at(headers, asyncapi, "producer: Cart", { message: "headers does not match" })] },
      ],
      [
        "a request body example",
        { given: requestBody, want: [at(requestBody, openapi, "example: { currency: usd }")] },
      ],
      [
        "a components/examples entry used by $ref, reported once where it is written",
        {
          given: componentExample,
          want: [at(componentExample, openapi, "subtotal: { amount: -1", { message: "/subtotal/amount must be >= 0" })],
        },
      ],
      ["a path parameter example", { given: pathParameter, want: [at(pathParameter, openapi, "example: cart-1")] }],
      [
        "a shared parameter example, in its own file",
        { given: sharedParameter, want: [at(sharedParameter, "common/openapi.yaml", "example: 500")] },
      ],
      ["a schema's own examples", { given: schemaExamples, want: [at(schemaExamples, schemas, "examples: [usd]")] }],
      ["a schema with a broken $ref is left to ref/resolves, not a crash", { given: unresolved, want: [] }],
      [
        "OpenAPI schemas are JSON Schema 2020-12",
        {
          given: openapiDialect,
          want: [at(openapiDialect, openapi, "example: { currency: USD }", { message: "must have property note" })],
        },
      ],
      ["AsyncAPI schemas are draft-07 (2020-12 keywords do not apply)", { given: asyncapiDialect, want: [] }],
    ],
  ]);
}

{
  const noRequestExample = edit(minimal, openapi, "            example: { currency: USD }\n", "");
  const noMessageExamples = edit(minimal, "asyncapi/catalog.yaml", "      examples:\n", "      x-examples:\n");
  const noPayload = edit(
    minimal,
    "asyncapi/catalog.yaml",
    "          payload:\n            productId",
    "          x-payload:\n            productId",
  );
  table.push([
    examplePresent,
    [
      ["bodies and messages with examples pass", { given: minimal, want: [] }],
      [
        "a request body without an example",
        {
          given: noRequestExample,
          want: [at(noRequestExample, openapi, "          application/json:", { after: "requestBody:" })],
        },
      ],
      [
        "a message without examples",
        { given: noMessageExamples, want: [at(noMessageExamples, "asyncapi/catalog.yaml", "    ProductCreated:")] },
      ],
      [
        "a message example without a payload",
        { given: noPayload, want: [at(noPayload, "asyncapi/catalog.yaml", "        - name: book")] },
      ],
    ],
  ]);
}

{
  const float = edit(
    minimal,
    "asyncapi/catalog.yaml",
    'price: { $ref: "../common/schemas.yaml#/Money" }',
    "price: { type: number }",
  );
  const count = edit(
    minimal,
    schemas,
    "    nextCursor: { type: string, minLength: 1 }\n",
    "    nextCursor: { type: string, minLength: 1 }\n    total: { type: integer, minimum: 0 }\n",
  );
  table.push([
    moneyMinorUnits,
    [
      ["money as the shared Money schema passes", { given: minimal, want: [] }],
      ["an integer named like money (a count) passes", { given: count, want: [] }],
      [
        "a price as a floating-point number",
        { given: float, want: [at(float, "asyncapi/catalog.yaml", "price: { type: number }")] },
      ],
    ],
  ]);
}

{
  const inline = edit(
    minimal,
    "asyncapi/catalog.yaml",
    'headers: { $ref: "../common/schemas.yaml#/EventEnvelope" }',
    "headers: { type: object }",
  );
  const otherSchema = edit(minimal, "asyncapi/catalog.yaml", "#/EventEnvelope", "#/Money");
  const missingField = edit(minimal, schemas, "    partitionKey: { type: string, minLength: 1 }\n", "");
  const optionalField = edit(minimal, schemas, "occurredAt, producer, traceId", "occurredAt, traceId");
  table.push([
    asyncapiEnvelope,
    [
      ["messages referencing the shared envelope pass", { given: minimal, want: [] }],
      [
        "headers written inline",
        { given: inline, want: [at(inline, "asyncapi/catalog.yaml", "headers: { type: object }")] },
      ],
      [
        "headers referencing another schema",
        { given: otherSchema, want: [at(otherSchema, "asyncapi/catalog.yaml", "#/Money")] },
      ],
      [
        "an envelope without partitionKey",
        { given: missingField, want: [at(missingField, schemas, "EventEnvelope:", { message: "lacks partitionKey" })] },
      ],
      [
        "an envelope where producer is optional",
        {
          given: optionalField,
          want: [at(optionalField, schemas, "required: [eventId", { message: "does not require producer" })],
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
