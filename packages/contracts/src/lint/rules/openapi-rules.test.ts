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
import {
  correlationIdHeader,
  idempotencyKeyHeader,
  listPaginated,
  mutationRequiresAuth,
  problemResponses,
} from "./openapi-rules.js";

type Case = [string, { given: Files; want: Want[] }];

const cart = "openapi/cart.yaml";
const at = (
  given: Files,
  needle: string,
  options: { after?: string; file?: string; severity?: "warning"; message?: string } = {},
): Want => ({
  file: options.file ?? cart,
  line: lineOf(given, options.file ?? cart, needle, options.after),
  ...(options.severity ? { severity: options.severity } : {}),
  ...(options.message !== undefined ? { message: options.message } : {}),
});

const table: [LintRule, Case[]][] = [];

{
  const unauthenticated = edit(minimal, cart, "      security: [{ bearerAuth: [] }]\n", "", "    post:");
  const explicitlyPublic = edit(minimal, cart, "security: [{ bearerAuth: [] }]", "security: []", "    post:");
  const optional = edit(
    minimal,
    cart,
    "security: [{ bearerAuth: [] }]",
    "security: [{ bearerAuth: [] }, {}]",
    "    post:",
  );
  table.push([
    mutationRequiresAuth,
    [
      ["authenticated mutations pass", { given: minimal, want: [] }],
      ["an explicitly public mutation (security: []) passes", { given: explicitlyPublic, want: [] }],
      [
        "a mutation without security",
        { given: unauthenticated, want: [at(unauthenticated, "    post:", { message: "POST /carts changes state" })] },
      ],
      [
        "a mutation whose security may be skipped",
        { given: optional, want: [at(optional, "security: [{ bearerAuth: [] }, {}]")] },
      ],
    ],
  ]);
}

{
  const bareArray = edit(
    minimal,
    cart,
    'schema: { $ref: "#/components/schemas/CartPage" }',
    'schema: { type: array, items: { $ref: "#/components/schemas/Cart" } }',
  );
  const noLimit = edit(minimal, cart, '        - $ref: "../common/openapi.yaml#/parameters/Limit"\n', "");
  const noPage = edit(minimal, cart, '        page: { $ref: "../common/schemas.yaml#/PageInfo" }\n', "");
  const resourceWithItems = edit(
    minimal,
    cart,
    '        subtotal: { $ref: "../common/schemas.yaml#/Money" }\n',
    '        subtotal: { $ref: "../common/schemas.yaml#/Money" }\n        items: { type: array, items: { type: string } }\n',
  );
  table.push([
    listPaginated,
    [
      ["a paged list passes", { given: minimal, want: [] }],
      ["a single resource that has items is not a list", { given: resourceWithItems, want: [] }],
      ["a list answering a bare array", { given: bareArray, want: [at(bareArray, "schema: { type: array")] }],
      [
        "a list without the limit parameter",
        { given: noLimit, want: [at(noLimit, "    get:", { message: "does not take limit" })] },
      ],
      ["a list without page", { given: noPage, want: [at(noPage, "    CartPage:")] }],
    ],
  ]);
}

{
  const common = "common/openapi.yaml";
  const plainJson = edit(minimal, common, "      application/problem+json:", "      application/json:", "  NotFound:");
  const noBody = edit(
    minimal,
    cart,
    '"404": { $ref: "../common/openapi.yaml#/responses/NotFound" }',
    '"404": { description: No such cart. }',
  );
  table.push([
    problemResponses,
    [
      ["problem+json errors pass", { given: minimal, want: [] }],
      [
        "an error response in application/json",
        {
          given: plainJson,
          want: [
            at(plainJson, "  NotFound:", { file: common, message: "no application/problem+json body" }),
            at(plainJson, "      application/json:", { file: common, message: "remove this media type" }),
          ],
        },
      ],
      [
        "an error response without a body",
        { given: noBody, want: [at(noBody, '"404": { description: No such cart. }')] },
      ],
    ],
  ]);
}

{
  const noKey = edit(minimal, cart, '        - $ref: "../common/openapi.yaml#/parameters/IdempotencyKey"\n', "");
  const notCreating = edit(
    noKey,
    cart,
    '        "201":\n          description: The new cart.',
    '        "200":\n          description: The new cart.',
  );
  table.push([
    idempotencyKeyHeader,
    [
      ["a creating POST with Idempotency-Key passes", { given: minimal, want: [] }],
      ["a POST that creates nothing (no 201/202) needs none", { given: notCreating, want: [] }],
      ["a creating POST without Idempotency-Key", { given: noKey, want: [at(noKey, "    post:")] }],
    ],
  ]);
}

{
  const noCorrelation = edit(
    minimal,
    cart,
    '        - $ref: "../common/openapi.yaml#/parameters/CorrelationId"\n',
    "",
    "/carts/{cartId}:",
  );
  table.push([
    correlationIdHeader,
    [
      ["operations taking Correlation-Id pass", { given: minimal, want: [] }],
      [
        "an operation without Correlation-Id (a warning)",
        {
          given: noCorrelation,
          want: [at(noCorrelation, "    get:", { after: "/carts/{cartId}:", severity: "warning" })],
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
