import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { readSnapshot } from "./contract-snapshot.js";
import type { CompatFinding } from "./finding.js";
import { type SchemaChange, schemaChanges } from "./rule-catalog.js";
import { SchemaDiffer } from "./schema-diff.js";

type Schemas = Record<string, unknown>;

/** A schema rule case: `Subject` (and the schemas it refers to) before and after, and the verdict per side. */
interface Case {
  readonly base: Schemas;
  readonly head: Schemas;
  /** common/schemas.yaml before and after, for cases that follow a $ref into another file. */
  readonly shared?: { readonly base: Schemas; readonly head: Schemas };
  /** `"<severity> <change>"` per side; `request` is what a client sends, `response` what it reads. */
  readonly want: { readonly request: readonly string[]; readonly response: readonly string[] };
}

const closed = (properties: Schemas, required: string[] = []) => ({
  type: "object",
  additionalProperties: false,
  ...(required.length > 0 ? { required } : {}),
  properties,
});
const subject = (schema: unknown, others: Schemas = {}): Schemas => ({ Subject: schema, ...others });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const cases: [string, Case][] = [
  // Properties of a closed object.
  [
    "an optional property added to a closed object",
    {
      base: subject(closed({ a: { type: "string" } })),
      head: subject(closed({ a: { type: "string" }, b: { type: "string" } })),
      want: { request: ["info property-added"], response: ["warning property-added"] },
    },
  ],
  [
    "a required property added to a closed object",
    {
      base: subject(closed({ a: { type: "string" } })),
      head: subject(closed({ a: { type: "string" }, b: { type: "string" } }, ["b"])),
      want: { request: ["breaking required-property-added"], response: ["warning required-property-added"] },
    },
  ],
  [
    "an optional property removed from a closed object",
    {
      base: subject(closed({ a: { type: "string" }, b: { type: "string" } })),
      head: subject(closed({ a: { type: "string" } })),
      want: { request: ["breaking property-removed"], response: ["info property-removed"] },
    },
  ],
  [
    "a required property removed from a closed object",
    {
      base: subject(closed({ a: { type: "string" }, b: { type: "string" } }, ["b"])),
      head: subject(closed({ a: { type: "string" } })),
      want: { request: ["breaking required-property-removed"], response: ["breaking required-property-removed"] },
    },
  ],
  [
    "an optional property made required",
    {
      base: subject(closed({ a: { type: "string" } })),
      head: subject(closed({ a: { type: "string" } }, ["a"])),
      want: { request: ["breaking property-became-required"], response: ["info property-became-required"] },
    },
  ],
  [
    "a required property made optional",
    {
      base: subject(closed({ a: { type: "string" } }, ["a"])),
      head: subject(closed({ a: { type: "string" } })),
      want: { request: ["info property-became-optional"], response: ["breaking property-became-optional"] },
    },
  ],
  [
    "a property removed from an open object, which still accepts it as an additional property",
    {
      base: subject({ type: "object", properties: { a: { type: "string" }, b: { type: "string" } } }),
      head: subject({ type: "object", properties: { a: { type: "string" } } }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  [
    "a readOnly property added as required, which clients never send",
    {
      base: subject(closed({ a: { type: "string" } })),
      head: subject(closed({ a: { type: "string" }, id: { type: "string", readOnly: true } }, ["id"])),
      want: { request: [], response: ["warning required-property-added"] },
    },
  ],
  // Enums.
  [
    "an enum value removed",
    {
      base: subject({ type: "string", enum: ["A", "B"] }),
      head: subject({ type: "string", enum: ["A"] }),
      want: { request: ["breaking enum-value-removed"], response: ["info enum-value-removed"] },
    },
  ],
  [
    "an enum value added",
    {
      base: subject({ type: "string", enum: ["A"] }),
      head: subject({ type: "string", enum: ["A", "B"] }),
      want: { request: ["info enum-value-added"], response: ["warning enum-value-added"] },
    },
  ],
  [
    "an enum put on a free string",
    {
      base: subject({ type: "string" }),
      head: subject({ type: "string", enum: ["A"] }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "an enum taken off",
    {
      base: subject({ type: "string", const: "A" }),
      head: subject({ type: "string" }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  // Types and null.
  [
    "a type changed to an unrelated one",
    {
      base: subject({ type: "string", maxLength: 5 }),
      head: subject({ type: "integer", maximum: 5 }),
      want: { request: ["breaking type-changed"], response: ["breaking type-changed"] },
    },
  ],
  [
    "a type narrowed from number to integer",
    {
      base: subject({ type: "number" }),
      head: subject({ type: "integer" }),
      want: { request: ["breaking type-narrowed"], response: ["info type-narrowed"] },
    },
  ],
  [
    "a type widened from integer to number",
    {
      base: subject({ type: "integer" }),
      head: subject({ type: "number" }),
      want: { request: ["info type-widened"], response: ["breaking type-widened"] },
    },
  ],
  [
    "a type widened to a list of types",
    {
      base: subject({ type: "string" }),
      head: subject({ type: ["string", "integer"] }),
      want: { request: ["info type-widened"], response: ["breaking type-widened"] },
    },
  ],
  [
    "null removed from a type list",
    {
      base: subject({ type: ["string", "null"] }),
      head: subject({ type: "string" }),
      want: { request: ["breaking nullable-removed"], response: ["info nullable-removed"] },
    },
  ],
  [
    "null added as an anyOf branch beside a $ref",
    {
      base: subject(ref("Money"), { Money: closed({ amount: { type: "integer" } }) }),
      head: subject({ anyOf: [ref("Money"), { type: "null" }] }, { Money: closed({ amount: { type: "integer" } }) }),
      want: { request: ["info nullable-added"], response: ["breaking nullable-added"] },
    },
  ],
  [
    "nullable: true added (OpenAPI 3.0 style)",
    {
      base: subject({ type: "string" }),
      head: subject({ type: "string", nullable: true }),
      want: { request: ["info nullable-added"], response: ["breaking nullable-added"] },
    },
  ],
  // Constraints.
  [
    "a maximum lowered",
    {
      base: subject({ type: "integer", maximum: 99 }),
      head: subject({ type: "integer", maximum: 50 }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a maximum raised",
    {
      base: subject({ type: "integer", maximum: 50 }),
      head: subject({ type: "integer", maximum: 99 }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  [
    "a minimum raised",
    {
      base: subject({ type: "integer", minimum: 0 }),
      head: subject({ type: "integer", minimum: 1 }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a minLength removed",
    {
      base: subject({ type: "string", minLength: 1 }),
      head: subject({ type: "string" }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  [
    "a maxItems lowered",
    {
      base: subject({ type: "array", maxItems: 100, items: { type: "string" } }),
      head: subject({ type: "array", maxItems: 10, items: { type: "string" } }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a pattern added",
    {
      base: subject({ type: "string" }),
      head: subject({ type: "string", pattern: "^[A-Z]{3}$" }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a format removed",
    {
      base: subject({ type: "string", format: "date-time" }),
      head: subject({ type: "string" }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  [
    "a pattern changed, neither provably tighter nor looser",
    {
      base: subject({ type: "string", pattern: "^[a-z]+$" }),
      head: subject({ type: "string", pattern: "^[a-z0-9]+$" }),
      want: { request: ["warning constraint-changed"], response: ["warning constraint-changed"] },
    },
  ],
  [
    "a multipleOf changed to a multiple of itself",
    {
      base: subject({ type: "integer", multipleOf: 5 }),
      head: subject({ type: "integer", multipleOf: 10 }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "uniqueItems added",
    {
      base: subject({ type: "array", items: { type: "string" } }),
      head: subject({ type: "array", uniqueItems: true, items: { type: "string" } }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "an object opened (additionalProperties: false removed)",
    {
      base: subject(closed({ a: { type: "string" } })),
      head: subject({ type: "object", properties: { a: { type: "string" } } }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  [
    "an object closed",
    {
      base: subject({ type: "object", properties: { a: { type: "string" } } }),
      head: subject(closed({ a: { type: "string" } })),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a schema put on a value that accepted anything",
    {
      base: subject(closed({ a: {} })),
      head: subject(closed({ a: { type: "string" } })),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a default changed",
    {
      base: subject({ type: "integer", default: 20 }),
      head: subject({ type: "integer", default: 50 }),
      want: { request: ["warning default-changed"], response: ["info default-changed"] },
    },
  ],
  [
    "a keyword the checker does not interpret (not) added",
    {
      base: subject({ type: "string" }),
      head: subject({ type: "string", not: { const: "x" } }),
      want: { request: ["warning keyword-changed"], response: ["warning keyword-changed"] },
    },
  ],
  [
    "a $ref pointed at a schema that does not exist",
    {
      base: subject(closed({ a: ref("A") }), { A: { type: "string" } }),
      head: subject(closed({ a: ref("Gone") })),
      want: { request: ["warning unresolved-ref"], response: ["warning unresolved-ref"] },
    },
  ],
  // Unions.
  [
    "a oneOf branch added",
    {
      base: subject(
        { oneOf: [ref("Card"), ref("Wallet")] },
        { Card: closed({ c: { type: "string" } }), Wallet: closed({ w: { type: "string" } }) },
      ),
      head: subject(
        { oneOf: [ref("Card"), ref("Wallet"), ref("Gift")] },
        {
          Card: closed({ c: { type: "string" } }),
          Wallet: closed({ w: { type: "string" } }),
          Gift: closed({ g: { type: "string" } }),
        },
      ),
      want: { request: ["info one-of-branch-added"], response: ["breaking one-of-branch-added"] },
    },
  ],
  [
    "a oneOf branch removed",
    {
      base: subject(
        { oneOf: [ref("Card"), ref("Wallet")] },
        { Card: closed({ c: { type: "string" } }), Wallet: closed({ w: { type: "string" } }) },
      ),
      head: subject(
        { oneOf: [ref("Card")] },
        { Card: closed({ c: { type: "string" } }), Wallet: closed({ w: { type: "string" } }) },
      ),
      want: { request: ["breaking one-of-branch-removed"], response: ["info one-of-branch-removed"] },
    },
  ],
  [
    "a plain schema turned into a oneOf of itself and another",
    {
      base: subject(ref("Card"), { Card: closed({ c: { type: "string" } }) }),
      head: subject(
        { oneOf: [ref("Card"), ref("Gift")] },
        { Card: closed({ c: { type: "string" } }), Gift: closed({ g: { type: "string" } }) },
      ),
      want: { request: ["info one-of-branch-added"], response: ["breaking one-of-branch-added"] },
    },
  ],
  [
    "an anyOf branch added",
    {
      base: subject({ anyOf: [{ type: "string" }, { type: "integer" }] }),
      head: subject({ anyOf: [{ type: "string" }, { type: "integer" }, { type: "boolean" }] }),
      want: { request: ["info any-of-branch-added"], response: ["breaking any-of-branch-added"] },
    },
  ],
  [
    "an anyOf branch removed",
    {
      base: subject({
        anyOf: [
          { type: "string", title: "text" },
          { type: "integer", title: "count" },
          { type: "boolean", title: "flag" },
        ],
      }),
      head: subject({
        anyOf: [
          { type: "string", title: "text" },
          { type: "integer", title: "count" },
        ],
      }),
      want: { request: ["breaking any-of-branch-removed"], response: ["info any-of-branch-removed"] },
    },
  ],
  // $refs are followed everywhere.
  [
    "a change inside a schema reached through additionalProperties",
    {
      base: subject(
        { type: "object", additionalProperties: ref("Count") },
        { Count: { type: "integer", maximum: 99 } },
      ),
      head: subject({ type: "object", additionalProperties: ref("Count") }, { Count: { type: "integer", maximum: 9 } }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "a change inside a schema reached through items",
    {
      base: subject({ type: "array", items: ref("Line") }, { Line: closed({ sku: { type: "string" } }, ["sku"]) }),
      head: subject({ type: "array", items: ref("Line") }, { Line: closed({ sku: { type: "string" } }) }),
      want: { request: ["info property-became-optional"], response: ["breaking property-became-optional"] },
    },
  ],
  [
    "a change inside an allOf member",
    {
      base: subject(
        { allOf: [ref("Base"), closed({ extra: { type: "string" } })] },
        { Base: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
      ),
      head: subject(
        { allOf: [ref("Base"), closed({ extra: { type: "string" } })] },
        {
          Base: {
            type: "object",
            required: ["id", "kind"],
            properties: { id: { type: "string" }, kind: { type: "string" } },
          },
        },
      ),
      want: { request: ["breaking required-property-added"], response: ["warning required-property-added"] },
    },
  ],
  [
    "a change inside a oneOf branch",
    {
      base: subject(
        { oneOf: [ref("Card"), ref("Wallet")] },
        {
          Card: closed({ brand: { type: "string", enum: ["visa", "amex"] } }),
          Wallet: closed({ w: { type: "string" } }),
        },
      ),
      head: subject(
        { oneOf: [ref("Card"), ref("Wallet")] },
        { Card: closed({ brand: { type: "string", enum: ["visa"] } }), Wallet: closed({ w: { type: "string" } }) },
      ),
      want: { request: ["breaking enum-value-removed"], response: ["info enum-value-removed"] },
    },
  ],
  [
    "a change inside an anyOf branch",
    {
      base: subject({ anyOf: [ref("Short"), { type: "integer" }] }, { Short: { type: "string", maxLength: 10 } }),
      head: subject({ anyOf: [ref("Short"), { type: "integer" }] }, { Short: { type: "string", maxLength: 20 } }),
      want: { request: ["info constraint-loosened"], response: ["breaking constraint-loosened"] },
    },
  ],
  [
    "a change in a shared schema in another file",
    {
      base: subject(closed({ price: { $ref: "../common/schemas.yaml#/Money" } })),
      head: subject(closed({ price: { $ref: "../common/schemas.yaml#/Money" } })),
      shared: {
        base: { Money: closed({ amount: { type: "integer" }, currency: { type: "string" } }, ["amount", "currency"]) },
        head: { Money: closed({ amount: { type: "integer" } }, ["amount"]) },
      },
      want: { request: ["breaking required-property-removed"], response: ["breaking required-property-removed"] },
    },
  ],
  [
    "a recursive schema with a change inside, reported once",
    {
      base: subject(ref("Category"), {
        Category: closed({
          depth: { type: "integer", maximum: 9 },
          children: { type: "array", items: ref("Category") },
        }),
      }),
      head: subject(ref("Category"), {
        Category: closed({
          depth: { type: "integer", maximum: 5 },
          children: { type: "array", items: ref("Category") },
        }),
      }),
      want: { request: ["breaking constraint-tightened"], response: ["info constraint-tightened"] },
    },
  ],
  [
    "mutually recursive schemas with a change in one",
    {
      base: subject(ref("A"), { A: closed({ b: ref("B") }), B: closed({ a: ref("A"), n: { type: "string" } }) }),
      head: subject(ref("A"), {
        A: closed({ b: ref("B") }),
        B: closed({ a: ref("A"), n: { type: "string" }, m: { type: "string" } }),
      }),
      want: { request: ["info property-added"], response: ["warning property-added"] },
    },
  ],
  // What is not a change.
  [
    "properties moved into an allOf base with the same meaning",
    {
      base: subject(closed({ id: { type: "string" }, name: { type: "string" } }, ["id"])),
      head: subject(
        {
          allOf: [
            ref("Identified"),
            { type: "object", additionalProperties: false, properties: { name: { type: "string" } } },
          ],
        },
        { Identified: { type: "object", required: ["id"], properties: { id: { type: "string" } } } },
      ),
      want: { request: [], response: [] },
    },
  ],
  [
    "a $ref pointed at another schema with the same meaning",
    {
      base: subject(closed({ a: ref("Old") }), { Old: { type: "string", maxLength: 8 } }),
      head: subject(closed({ a: ref("New") }), { New: { type: "string", maxLength: 8 } }),
      want: { request: [], response: [] },
    },
  ],
  [
    "documentation edited (description, title, examples)",
    {
      base: subject({ type: "string", description: "old", title: "Old", examples: ["a"] }),
      head: subject({ type: "string", description: "new", title: "New", examples: ["b"] }),
      want: {
        request: ["info docs-changed", "info docs-changed", "info docs-changed"],
        response: ["info docs-changed", "info docs-changed", "info docs-changed"],
      },
    },
  ],
];

const other = { type: "object", properties: { ok: { type: "boolean" } } };

/** An OpenAPI document with `Subject` as the request body (side request) or the 200 response (side response). */
function openapi(schemas: Schemas, side: "request" | "response"): string {
  const body = { content: { "application/json": { schema: ref(side === "request" ? "Subject" : "Other") } } };
  const response = {
    description: "ok",
    content: { "application/json": { schema: ref(side === "response" ? "Subject" : "Other") } },
  };
  return stringify({
    openapi: "3.1.0",
    info: { title: "things", version: "1.0.0" },
    paths: {
      "/things": {
        post: { operationId: "createThing", requestBody: { required: true, ...body }, responses: { "200": response } },
      },
    },
    components: { schemas: { Other: other, ...schemas } },
  });
}

/** An AsyncAPI document whose one message has `Subject` as payload, sent (response rules) or received (request rules). */
function asyncapi(schemas: Schemas, side: "request" | "response"): string {
  return stringify({
    asyncapi: "3.0.0",
    info: { title: "things", version: "1.0.0" },
    defaultContentType: "application/json",
    channels: {
      thingHappened: {
        address: "ecommerce.things.thing.happened.v1",
        messages: { thingHappened: { $ref: "#/components/messages/ThingHappened" } },
      },
    },
    operations: {
      onThing: {
        action: side === "response" ? "send" : "receive",
        channel: { $ref: "#/channels/thingHappened" },
        messages: [{ $ref: "#/channels/thingHappened/messages/thingHappened" }],
      },
    },
    components: {
      messages: { ThingHappened: { name: "ecommerce.things.thing.happened.v1", payload: ref("Subject") } },
      schemas,
    },
  });
}

/**
 * `"<severity> <change>"` of every wire finding, with the kind and side taken off the rule id. A schema renamed or
 * removed on the way is also an SDK-surface finding; those have their own table (sdk-surface-compat.test.ts).
 */
const verdicts = (findings: readonly CompatFinding[], kind: string, side: string) =>
  findings
    .filter((finding) => !finding.ruleId.includes("/sdk-"))
    .map((finding) => `${finding.severity} ${finding.ruleId.replace(`${kind}/`, "").replace(`${side}-`, "")}`)
    .sort();

async function run(kind: "openapi" | "asyncapi", side: "request" | "response", testCase: Case) {
  const files = (schemas: Schemas, shared?: Schemas) => ({
    [`${kind}/things.yaml`]: kind === "openapi" ? openapi(schemas, side) : asyncapi(schemas, side),
    ...(shared ? { "common/schemas.yaml": stringify(shared) } : {}),
  });
  return compareContracts({
    base: createMemoryFiles(files(testCase.base, testCase.shared?.base)),
    head: createMemoryFiles(files(testCase.head, testCase.shared?.head)),
  });
}

describe("schema rules", () => {
  for (const kind of ["openapi", "asyncapi"] as const) {
    describe(
      kind === "openapi" ? "OpenAPI request body and response" : "AsyncAPI received command and sent event",
      () => {
        it.each(cases)("%s", async (_name, testCase) => {
          for (const side of ["request", "response"] as const) {
            const report = await run(kind, side, testCase);
            expect({ side, verdicts: verdicts(report.findings, kind, side) }).toEqual({
              side,
              verdicts: [...testCase.want[side]].sort(),
            });
          }
        });
      },
    );
  }

  it("covers every schema change on both sides", () => {
    const covered = new Set(
      cases.flatMap(([, { want }]) => [
        ...want.request.map((v) => `request ${v}`),
        ...want.response.map((v) => `response ${v}`),
      ]),
    );
    const missing = Object.entries(schemaChanges).flatMap(([change, severities]) =>
      (["request", "response"] as const)
        .map((side) => `${side} ${severities[side]} ${change as SchemaChange}`)
        .filter((entry) => !covered.has(entry)),
    );
    expect(missing).toEqual([]);
  });

  it("terminates on a recursive schema and finds its change once, before any merging of findings", async () => {
    const cache = new Map();
    const files = (maximum: number) =>
      createMemoryFiles({
        "common/schemas.yaml": stringify({
          Category: closed({
            depth: { type: "integer", maximum },
            children: { type: "array", items: { $ref: "#/Category" } },
          }),
        }),
      });
    const base = await readSnapshot(files(9), { label: "base", cache });
    const head = await readSnapshot(files(5), { label: "head", cache });
    const differ = new SchemaDiffer(base, head, new Set(["common/schemas.yaml"]));
    const category = (side: typeof base) => side.resolve("common/schemas.yaml", "#/Category");
    const differences = differ.compare([category(base)!], [category(head)!], "request");
    expect(differences).toEqual([
      {
        change: "constraint-tightened",
        file: "common/schemas.yaml",
        pointer: "/Category/properties/depth/maximum",
        message: "Category.depth: maximum lowered from 9 to 5",
      },
    ]);
  });
});
