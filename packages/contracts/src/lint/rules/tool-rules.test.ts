import { describe, expect, it } from "vitest";
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
import { asyncapiParse } from "./asyncapi-parse.js";
import { openapiValid } from "./openapi-valid.js";
import { protoBufConfig } from "./proto-buf-config.js";
import { protoBufLint } from "./proto-buf-lint.js";

// The rules that hand a contract to the tool built for it (@asyncapi/parser, Redocly, buf) and map its answers.

type Case = [string, { given: Files; want: Want[] }];

const at = (
  given: Files,
  file: string,
  needle: string,
  options: { after?: string; severity?: "warning"; message?: string } = {},
): Want => ({
  file,
  line: lineOf(given, file, needle, options.after),
  ...(options.severity ? { severity: options.severity } : {}),
  ...(options.message !== undefined ? { message: options.message } : {}),
});

const asyncapi = "asyncapi/cart.yaml";
const openapi = "openapi/cart.yaml";
const proto = "proto/ecom/catalog/v1/catalog.proto";
const table: [LintRule, Case[]][] = [];

{
  const noVersion = edit(
    minimal,
    asyncapi,
    "info: { title: ecom cart events, version: 1.0.0 }",
    "info: { title: ecom cart events }",
  );
  const unknownField = edit(
    minimal,
    asyncapi,
    "    address: ecommerce.cart.cart.checked_out.v1\n",
    "    address: ecommerce.cart.cart.checked_out.v1\n    adress: typo\n",
  );
  const oldSpec = edit(minimal, asyncapi, "asyncapi: 3.0.0", "asyncapi: 2.6.0");
  table.push([
    asyncapiParse,
    [
      ["valid AsyncAPI 3.0 documents pass", { given: minimal, want: [] }],
      [
        "info without a version",
        { given: noVersion, want: [at(noVersion, asyncapi, "info:", { message: '"version"' })] },
      ],
      [
        "a field AsyncAPI does not define",
        { given: unknownField, want: [at(unknownField, asyncapi, "adress: typo", { message: "adress" })] },
      ],
      [
        "a document that is not AsyncAPI 3",
        { given: oldSpec, want: [at(oldSpec, asyncapi, "asyncapi: 2.6.0", { message: "asyncapi: 3.0.0" })] },
      ],
    ],
  ]);
}

{
  const unknownField = edit(
    minimal,
    openapi,
    "      summary: Fetch a cart\n",
    "      summary: Fetch a cart\n      colour: red\n",
  );
  const noOperationId = edit(minimal, openapi, "      operationId: getCart\n", "");
  const undefinedPathParameter = edit(minimal, openapi, "  /carts/{cartId}:", "  /carts/{cartId}/{itemId}:");
  const sharedFile = edit(minimal, "common/openapi.yaml", "    in: header\n", "    in: body\n");
  const oldSpec = edit(minimal, openapi, "openapi: 3.1.0", "openapi: 3.0.3");
  const successOf = (status: string, description: string) =>
    edit(
      minimal,
      openapi,
      '        "200":\n          description: The cart.',
      `        "${status}":\n          description: ${description}`,
    );
  const upgrade = successOf("101", "Switched to the WebSocket protocol.");
  const noSuccess = successOf("409", "Conflict.");
  table.push([
    openapiValid,
    [
      ["valid OpenAPI 3.1 documents pass", { given: minimal, want: [] }],
      [
        "a field OpenAPI does not define",
        { given: unknownField, want: [at(unknownField, openapi, "colour: red", { message: "[struct]" })] },
      ],
      [
        "an operation without operationId",
        {
          given: noOperationId,
          want: [
            at(noOperationId, openapi, "    get:", { after: "/carts/{cartId}:", message: "[operation-operationId]" }),
          ],
        },
      ],
      [
        "a path parameter no operation defines",
        {
          given: undefinedPathParameter,
          want: [
            at(undefinedPathParameter, openapi, "      parameters:", { after: "/{itemId}:", message: "{itemId}" }),
          ],
        },
      ],
      [
        "a mistake in a shared file it references, at that file's line",
        { given: sharedFile, want: [at(sharedFile, "common/openapi.yaml", "in: body")] },
      ],
      ["an operation that only switches protocols (a WebSocket upgrade, 101) passes", { given: upgrade, want: [] }],
      [
        "an operation without a success response",
        {
          given: noSuccess,
          want: [
            at(noSuccess, openapi, "      responses:", {
              after: "operationId: getCart",
              message: "[operation-2xx-response]",
            }),
          ],
        },
      ],
      [
        "a document that is not OpenAPI 3.1",
        { given: oldSpec, want: [at(oldSpec, openapi, "openapi: 3.0.3", { message: "openapi: 3.1.0" })] },
      ],
    ],
  ]);
}

{
  const camelField = edit(
    minimal,
    proto,
    "  string product_id = 1;\n}\n\n// The product.",
    "  string productId = 1;\n}\n\n// The product.",
  );
  const noCompile = edit(minimal, proto, "message GetProductResponse {", "message GetProductResponse");
  const badConfig = edit(minimal, "proto/buf.yaml", "version: v2", "version: v9");
  table.push([
    protoBufLint,
    [
      ["a module that passes STANDARD passes", { given: minimal, want: [] }],
      [
        "a field that is not lower_snake_case",
        {
          given: camelField,
          want: [at(camelField, proto, "string productId = 1;", { message: "[FIELD_LOWER_SNAKE_CASE]" })],
        },
      ],
      [
        "a buf.yaml buf cannot read",
        { given: badConfig, want: [{ file: "proto/buf.yaml", line: 1, message: 'unknown file version: "v9"' }] },
      ],
      ["no proto files, nothing to lint", { given: without(without(minimal, proto), "proto/buf.yaml"), want: [] }],
    ],
  ]);
  it("proto/buf-lint reports a proto file that does not compile at buf's lines in that file", async () => {
    // How many COMPILE errors buf gives is buf's business; that they name the file and start at the break is ours.
    const findings = await lintFiles(protoBufLint, noCompile);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((finding) => finding.file === proto && finding.message.endsWith("[COMPILE]"))).toBe(true);
    const broken = lineOf(noCompile, proto, "message GetProductResponse");
    expect(findings.map((finding) => finding.line)).toContainEqual(
      expect.toSatisfy((line: number) => line >= broken && line <= broken + 1),
    );
  });
}

{
  const config = "proto/buf.yaml";
  const minimalRules = edit(minimal, config, "    - STANDARD", "    - MINIMAL");
  const weakened = edit(
    minimal,
    config,
    "    - STANDARD\n",
    "    - STANDARD\n  except:\n    - FIELD_LOWER_SNAKE_CASE\n",
  );
  table.push([
    protoBufConfig,
    [
      ["a buf.yaml using STANDARD passes", { given: minimal, want: [] }],
      ["no buf.yaml beside the protos", { given: without(minimal, config), want: [{ file: config, line: 1 }] }],
      ["lint rules weaker than STANDARD", { given: minimalRules, want: [at(minimalRules, config, "  use:")] }],
      [
        "STANDARD with exceptions (a warning)",
        { given: weakened, want: [at(weakened, config, "  except:", { severity: "warning" })] },
      ],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
