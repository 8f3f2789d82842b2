import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { compatRules } from "./rule-catalog.js";

type Json = Record<string, unknown>;

/** An OpenAPI 3.1 document with `paths` (and optional root keys such as `security`). */
const doc = (paths: Json, root: Json = {}): Json => ({
  openapi: "3.1.0",
  info: { title: "shop", version: "1.0.0" },
  ...root,
  paths,
});

const json = (schema: unknown) => ({ "application/json": { schema } });
const ok = (extra: Json = {}) => ({ description: "ok", content: json({ type: "object" }), ...extra });
const get = (extra: Json = {}) => ({ get: { operationId: "getCart", responses: { "200": ok() }, ...extra } });
const query = (name: string, extra: Json = {}) => ({ name, in: "query", schema: { type: "string" }, ...extra });

interface Case {
  readonly base: Json;
  readonly head: Json;
  /** Extra files per side (another OpenAPI file, common/openapi.yaml). */
  readonly files?: { readonly base?: Record<string, Json>; readonly head?: Record<string, Json> };
  /** `"<severity> <rule id>"` of every finding. */
  readonly want: readonly string[];
}

const cases: [string, Case][] = [
  // Paths and operations.
  [
    "a path removed",
    {
      base: doc({ "/carts": get(), "/items": get() }),
      head: doc({ "/items": get() }),
      want: ["breaking openapi/path-removed"],
    },
  ],
  [
    "a path removed whose operations were all deprecated",
    {
      base: doc({ "/carts": get({ deprecated: true }), "/items": get() }),
      head: doc({ "/items": get() }),
      want: ["info openapi/deprecated-path-removed"],
    },
  ],
  [
    "a path added",
    {
      base: doc({ "/items": get() }),
      head: doc({ "/items": get(), "/carts": get() }),
      want: ["info openapi/path-added"],
    },
  ],
  [
    "an operation removed",
    {
      base: doc({ "/carts": { ...get(), delete: { responses: { "204": { description: "gone" } } } } }),
      head: doc({ "/carts": get() }),
      want: ["breaking openapi/operation-removed"],
    },
  ],
  [
    "a deprecated operation removed",
    {
      base: doc({
        "/carts": { ...get(), delete: { deprecated: true, responses: { "204": { description: "gone" } } } },
      }),
      head: doc({ "/carts": get() }),
      want: ["info openapi/deprecated-operation-removed"],
    },
  ],
  [
    "an operation added",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": { ...get(), delete: { responses: { "204": { description: "gone" } } } } }),
      want: ["info openapi/operation-added"],
    },
  ],
  [
    "a path parameter renamed, which clients cannot see",
    {
      base: doc({
        "/carts/{id}": get({ parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }] }),
      }),
      head: doc({
        "/carts/{cartId}": get({
          parameters: [{ name: "cartId", in: "path", required: true, schema: { type: "string" } }],
        }),
      }),
      want: [],
    },
  ],
  [
    "a path moved to another OpenAPI file: the same on the wire (one port), another client in the SDK",
    {
      base: doc({ "/carts": get(), "/items": get() }),
      head: doc({ "/items": get() }),
      files: { head: { "openapi/checkout.yaml": doc({ "/carts": get() }) } },
      want: ["breaking openapi/sdk-operation-renamed"],
    },
  ],
  [
    "a path parameter inserted into a path",
    {
      base: doc({ "/carts": get() }),
      head: doc({
        "/stores/{storeId}/carts": get({
          parameters: [{ name: "storeId", in: "path", required: true, schema: { type: "string" } }],
        }),
      }),
      want: ["breaking openapi/request-path-parameter-added"],
    },
  ],
  // Security.
  [
    "security required on an anonymous operation",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": get({ security: [{ bearerAuth: [] }] }) }),
      want: ["breaking openapi/security-added"],
    },
  ],
  [
    "a scope added to an operation's security",
    {
      base: doc({ "/carts": get({ security: [{ oauth: ["read"] }] }) }),
      head: doc({ "/carts": get({ security: [{ oauth: ["read", "admin"] }] }) }),
      want: ["breaking openapi/security-added"],
    },
  ],
  [
    "security inherited from the document added",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": get() }, { security: [{ bearerAuth: [] }] }),
      want: ["breaking openapi/security-added"],
    },
  ],
  [
    "an alternative (anonymous) access added",
    {
      base: doc({ "/carts": get({ security: [{ bearerAuth: [] }] }) }),
      head: doc({ "/carts": get({ security: [{ bearerAuth: [] }, {}] }) }),
      want: ["info openapi/security-removed"],
    },
  ],
  // Parameters.
  [
    "a required query parameter added",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": get({ parameters: [query("currency", { required: true })] }) }),
      want: ["breaking openapi/request-required-parameter-added"],
    },
  ],
  [
    "a required header added",
    {
      base: doc({ "/carts": get() }),
      head: doc({
        "/carts": get({ parameters: [{ name: "X-Tenant", in: "header", required: true, schema: { type: "string" } }] }),
      }),
      want: ["breaking openapi/request-required-parameter-added"],
    },
  ],
  [
    "an optional query parameter added",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": get({ parameters: [query("limit")] }) }),
      want: ["info openapi/request-parameter-added"],
    },
  ],
  [
    "a query parameter removed",
    {
      base: doc({ "/carts": get({ parameters: [query("limit")] }) }),
      head: doc({ "/carts": get() }),
      want: ["warning openapi/request-parameter-removed"],
    },
  ],
  [
    "a query parameter made required",
    {
      base: doc({ "/carts": get({ parameters: [query("limit")] }) }),
      head: doc({ "/carts": get({ parameters: [query("limit", { required: true })] }) }),
      want: ["breaking openapi/request-parameter-became-required"],
    },
  ],
  [
    "a query parameter made optional",
    {
      base: doc({ "/carts": get({ parameters: [query("limit", { required: true })] }) }),
      head: doc({ "/carts": get({ parameters: [query("limit")] }) }),
      want: ["info openapi/request-parameter-became-optional"],
    },
  ],
  [
    "a header name changed only in case",
    {
      base: doc({
        "/carts": get({ parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string" } }] }),
      }),
      head: doc({
        "/carts": get({ parameters: [{ name: "idempotency-key", in: "header", schema: { type: "string" } }] }),
      }),
      want: [],
    },
  ],
  [
    "a query parameter's maximum lowered (request rules)",
    {
      base: doc({ "/carts": get({ parameters: [query("limit", { schema: { type: "integer", maximum: 100 } })] }) }),
      head: doc({ "/carts": get({ parameters: [query("limit", { schema: { type: "integer", maximum: 50 } })] }) }),
      want: ["breaking openapi/request-constraint-tightened"],
    },
  ],
  [
    "a shared parameter reached through $ref tightened",
    {
      base: doc({ "/carts": get({ parameters: [{ $ref: "../common/openapi.yaml#/parameters/Limit" }] }) }),
      head: doc({ "/carts": get({ parameters: [{ $ref: "../common/openapi.yaml#/parameters/Limit" }] }) }),
      files: {
        base: {
          "common/openapi.yaml": { parameters: { Limit: query("limit", { schema: { type: "integer", minimum: 1 } }) } },
        },
        head: {
          "common/openapi.yaml": { parameters: { Limit: query("limit", { schema: { type: "integer", minimum: 5 } }) } },
        },
      },
      want: ["breaking openapi/request-constraint-tightened"],
    },
  ],
  // Request bodies.
  [
    "a request body removed",
    {
      base: doc({
        "/carts": { post: { requestBody: { content: json({ type: "object" }) }, responses: { "201": ok() } } },
      }),
      head: doc({ "/carts": { post: { responses: { "201": ok() } } } }),
      want: ["breaking openapi/request-body-removed"],
    },
  ],
  [
    "a required request body added",
    {
      base: doc({ "/carts": { post: { responses: { "201": ok() } } } }),
      head: doc({
        "/carts": {
          post: { requestBody: { required: true, content: json({ type: "object" }) }, responses: { "201": ok() } },
        },
      }),
      want: ["breaking openapi/request-required-body-added"],
    },
  ],
  [
    "an optional request body added",
    {
      base: doc({ "/carts": { post: { responses: { "201": ok() } } } }),
      head: doc({
        "/carts": { post: { requestBody: { content: json({ type: "object" }) }, responses: { "201": ok() } } },
      }),
      want: ["info openapi/request-body-added"],
    },
  ],
  [
    "a request body made required",
    {
      base: doc({
        "/carts": { post: { requestBody: { content: json({ type: "object" }) }, responses: { "201": ok() } } },
      }),
      head: doc({
        "/carts": {
          post: { requestBody: { required: true, content: json({ type: "object" }) }, responses: { "201": ok() } },
        },
      }),
      want: ["breaking openapi/request-body-became-required"],
    },
  ],
  [
    "a request body made optional",
    {
      base: doc({
        "/carts": {
          post: { requestBody: { required: true, content: json({ type: "object" }) }, responses: { "201": ok() } },
        },
      }),
      head: doc({
        "/carts": { post: { requestBody: { content: json({ type: "object" }) }, responses: { "201": ok() } } },
      }),
      want: ["info openapi/request-body-became-optional"],
    },
  ],
  [
    "a request media type removed",
    {
      base: doc({
        "/carts": {
          post: {
            requestBody: {
              content: {
                ...json({ type: "object" }),
                "application/x-www-form-urlencoded": { schema: { type: "object" } },
              },
            },
            responses: { "201": ok() },
          },
        },
      }),
      head: doc({
        "/carts": { post: { requestBody: { content: json({ type: "object" }) }, responses: { "201": ok() } } },
      }),
      want: ["breaking openapi/request-media-type-removed"],
    },
  ],
  [
    "a request media type added",
    {
      base: doc({
        "/carts": { post: { requestBody: { content: json({ type: "object" }) }, responses: { "201": ok() } } },
      }),
      head: doc({
        "/carts": {
          post: {
            requestBody: {
              content: {
                ...json({ type: "object" }),
                "application/x-www-form-urlencoded": { schema: { type: "object" } },
              },
            },
            responses: { "201": ok() },
          },
        },
      }),
      want: ["info openapi/request-media-type-added"],
    },
  ],
  // Responses.
  [
    "a success status removed",
    {
      base: doc({ "/carts": { post: { responses: { "200": ok(), "201": ok() } } } }),
      head: doc({ "/carts": { post: { responses: { "201": ok() } } } }),
      want: ["breaking openapi/response-success-status-removed"],
    },
  ],
  [
    "an error status removed",
    {
      base: doc({ "/carts": { get: { responses: { "200": ok(), "404": { description: "none" } } } } }),
      head: doc({ "/carts": get() }),
      want: ["info openapi/response-status-removed"],
    },
  ],
  [
    "a status added",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": { get: { responses: { "200": ok(), "404": { description: "none" } } } } }),
      want: ["info openapi/response-status-added"],
    },
  ],
  [
    "a response media type removed",
    {
      base: doc({
        "/carts": get({
          responses: {
            "200": {
              description: "ok",
              content: { ...json({ type: "object" }), "text/csv": { schema: { type: "string" } } },
            },
          },
        }),
      }),
      head: doc({ "/carts": get() }),
      want: ["breaking openapi/response-media-type-removed"],
    },
  ],
  [
    "a response media type added",
    {
      base: doc({ "/carts": get() }),
      head: doc({
        "/carts": get({
          responses: {
            "200": {
              description: "ok",
              content: { ...json({ type: "object" }), "text/csv": { schema: { type: "string" } } },
            },
          },
        }),
      }),
      want: ["info openapi/response-media-type-added"],
    },
  ],
  [
    "a required response header removed",
    {
      base: doc({
        "/carts": get({
          responses: { "200": ok({ headers: { Location: { required: true, schema: { type: "string" } } } }) },
        }),
      }),
      head: doc({ "/carts": get() }),
      want: ["breaking openapi/response-required-header-removed"],
    },
  ],
  [
    "a required response header made optional",
    {
      base: doc({
        "/carts": get({
          responses: { "200": ok({ headers: { Location: { required: true, schema: { type: "string" } } } }) },
        }),
      }),
      head: doc({
        "/carts": get({ responses: { "200": ok({ headers: { Location: { schema: { type: "string" } } } }) } }),
      }),
      want: ["breaking openapi/response-header-became-optional"],
    },
  ],
  [
    "an optional response header removed",
    {
      base: doc({
        "/carts": get({ responses: { "200": ok({ headers: { "Retry-After": { schema: { type: "integer" } } } }) } }),
      }),
      head: doc({ "/carts": get() }),
      want: ["info openapi/response-header-removed"],
    },
  ],
  [
    "a response header added",
    {
      base: doc({ "/carts": get() }),
      head: doc({
        "/carts": get({ responses: { "200": ok({ headers: { "Retry-After": { schema: { type: "integer" } } } }) } }),
      }),
      want: ["info openapi/response-header-added"],
    },
  ],
  [
    "a response header's type widened (response rules)",
    {
      base: doc({
        "/carts": get({ responses: { "200": ok({ headers: { "Retry-After": { schema: { type: "integer" } } } }) } }),
      }),
      head: doc({
        "/carts": get({ responses: { "200": ok({ headers: { "Retry-After": { schema: { type: "number" } } } }) } }),
      }),
      want: ["breaking openapi/response-type-widened"],
    },
  ],
  [
    "a shared response reached through $ref loses a required property",
    {
      base: doc({
        "/carts": get({ responses: { "200": ok(), "404": { $ref: "../common/openapi.yaml#/responses/NotFound" } } }),
      }),
      head: doc({
        "/carts": get({ responses: { "200": ok(), "404": { $ref: "../common/openapi.yaml#/responses/NotFound" } } }),
      }),
      files: {
        base: {
          "common/openapi.yaml": {
            responses: {
              NotFound: {
                description: "none",
                content: {
                  "application/problem+json": {
                    schema: {
                      type: "object",
                      required: ["type", "title"],
                      properties: { type: { type: "string" }, title: { type: "string" } },
                    },
                  },
                },
              },
            },
          },
        },
        head: {
          "common/openapi.yaml": {
            responses: {
              NotFound: {
                description: "none",
                content: {
                  "application/problem+json": {
                    schema: {
                      type: "object",
                      required: ["type"],
                      properties: { type: { type: "string" }, title: { type: "string" } },
                    },
                  },
                },
              },
            },
          },
        },
      },
      want: ["breaking openapi/response-property-became-optional"],
    },
  ],
  // Documentation.
  [
    "only the summary, description and an example edited",
    {
      base: doc({
        "/carts": get({
          summary: "Get a cart",
          description: "Old words.",
          responses: {
            "200": ok({ content: { "application/json": { schema: { type: "object" }, example: { a: 1 } } } }),
          },
        }),
      }),
      head: doc({
        "/carts": get({
          summary: "Fetch a cart",
          description: "New words.",
          responses: {
            "200": ok({ content: { "application/json": { schema: { type: "object" }, example: { a: 2 } } } }),
          },
        }),
      }),
      want: ["info openapi/docs-changed", "info openapi/docs-changed", "info openapi/docs-changed"],
    },
  ],
  [
    "an operation deprecated",
    {
      base: doc({ "/carts": get() }),
      head: doc({ "/carts": get({ deprecated: true }) }),
      want: ["info openapi/docs-changed"],
    },
  ],
];

async function compare(testCase: Case) {
  const files = (main: Json, extra: Record<string, Json> = {}) =>
    Object.fromEntries(
      Object.entries({ "openapi/shop.yaml": main, ...extra }).map(([path, value]) => [path, stringify(value)]),
    );
  return compareContracts({
    base: createMemoryFiles(files(testCase.base, testCase.files?.base)),
    head: createMemoryFiles(files(testCase.head, testCase.files?.head)),
  });
}

describe("OpenAPI rules", () => {
  it.each(cases)("%s", async (_name, testCase) => {
    const report = await compare(testCase);
    expect(report.findings.map((finding) => `${finding.severity} ${finding.ruleId}`).sort()).toEqual(
      [...testCase.want].sort(),
    );
  });

  it("covers every OpenAPI rule of operations, parameters, bodies and responses", () => {
    const covered = new Set(cases.flatMap(([, { want }]) => want.map((entry) => entry.split(" ")[1])));
    const schemaRule =
      /^openapi\/(request|response)-(required-property|property|enum|type|nullable|constraint|one-of|any-of|default|keyword|unresolved)/;
    const missing = compatRules
      // The SDK-surface and webhook rules have their own table (sdk-surface-compat.test.ts).
      .filter((rule) => rule.kind === "openapi" && !schemaRule.test(rule.id) && !/\/(sdk-|tag-|webhook-)/.test(rule.id))
      .map((rule) => rule.id)
      .filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it("locates a finding at the line of the changed node in the head file", async () => {
    const base = `openapi: 3.1.0
info: { title: shop, version: 1.0.0 }
paths:
  /carts:
    get:
      parameters:
        - name: limit
          in: query
          schema: { type: integer, maximum: 100 }
      responses:
        "200": { description: ok }
`;
    const head = base.replace("maximum: 100", "maximum: 10");
    const report = await compareContracts({
      base: createMemoryFiles({ "openapi/shop.yaml": base }),
      head: createMemoryFiles({ "openapi/shop.yaml": head }),
      fileRoot: "contracts",
    });
    expect(report.findings).toEqual([
      {
        ruleId: "openapi/request-constraint-tightened",
        severity: "breaking",
        kind: "openapi",
        file: "contracts/openapi/shop.yaml",
        line: 9,
        pointer: "/paths/~1carts/get/parameters/0/schema/maximum",
        message: "schema: maximum lowered from 100 to 10 (in GET /carts query parameter limit)",
        consumers: [],
      },
    ]);
  });

  it("reports a change to a shared schema once, naming the operations that reach it", async () => {
    const paths = Object.fromEntries(
      ["/a", "/b", "/c", "/d", "/e"].map((path) => [
        path,
        {
          get: {
            responses: { "200": { description: "ok", content: json({ $ref: "../common/schemas.yaml#/Money" }) } },
          },
        },
      ]),
    );
    const money = (maximum: number) =>
      stringify({ Money: { type: "object", properties: { amount: { type: "integer", maximum } } } });
    const report = await compareContracts({
      base: createMemoryFiles({ "openapi/shop.yaml": stringify(doc(paths)), "common/schemas.yaml": money(100) }),
      head: createMemoryFiles({ "openapi/shop.yaml": stringify(doc(paths)), "common/schemas.yaml": money(1000) }),
    });
    expect(report.findings).toHaveLength(1);
    expect(report.findings[0]).toMatchObject({
      ruleId: "openapi/response-constraint-loosened",
      severity: "breaking",
      file: "common/schemas.yaml",
      line: 6,
      pointer: "/Money/properties/amount/maximum",
    });
    expect(report.findings[0]?.message).toBe(
      "Money.amount: maximum raised from 100 to 1000 (in GET /a response 200 (application/json); GET /b response 200 (application/json); GET /c response 200 (application/json); and 2 more)",
    );
  });
});
