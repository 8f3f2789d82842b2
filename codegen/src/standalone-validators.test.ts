import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, describe, expect, it } from "vitest";
import { compileStandaloneValidators, schemaRef } from "./standalone-validators.js";

const madeDirs: string[] = [];
afterAll(async () => {
  for (const dir of madeDirs) await rm(dir, { recursive: true, force: true });
});

async function importModule(code: string): Promise<Record<string, (data: unknown) => boolean>> {
  // Written inside the repo's tree so its imports of ajv resolve from node_modules.
  const dir = await mkdtemp(join(import.meta.dirname, ".tmp-"));
  madeDirs.push(dir);
  const file = join(dir, "validators.mjs");
  await writeFile(file, code);
  return import(file);
}

// The SDK's runtime helpers, which generated validators import; vitest compiles the TypeScript on import.
const runtimeModule = join(import.meta.dirname, "../../packages/sdk/src/runtime/v1/ajv-runtime.ts");

const documents = new Map<string, unknown>([
  [
    "common/schemas.yaml",
    {
      Money: {
        type: "object",
        required: ["amount"],
        properties: { amount: { type: "integer", minimum: 0 }, at: { type: "string", format: "date-time" } },
      },
    },
  ],
  [
    "asyncapi/cart.yaml",
    {
      components: {
        schemas: {
          Paid: {
            type: "object",
            required: ["total"],
            properties: { total: { $ref: "../common/schemas.yaml#/Money" } },
          },
        },
      },
    },
  ],
]);

describe("compileStandaloneValidators", () => {
  it("emits an ES module whose validators follow $refs across files and check formats", async () => {
    const code = compileStandaloneValidators({
      dialect: "draft-07",
      documents,
      runtimeModule,
      targets: [{ name: "paid", schema: schemaRef("asyncapi/cart.yaml", "/components/schemas/Paid") }],
    });
    expect(code).not.toMatch(/require\(/);
    const { paid } = await importModule(code);
    expect(paid!({ total: { amount: 5 } })).toBe(true);
    expect(paid!({ total: { amount: -1 } })).toBe(false);
    expect(paid!({ total: { amount: 5, at: "yesterday" } })).toBe(false);
    expect(paid!({})).toBe(false);
  });

  it("coerces parameter strings when asked", async () => {
    const code = compileStandaloneValidators({
      dialect: "2020-12",
      documents,
      runtimeModule,
      coerceTypes: true,
      targets: [
        {
          name: "query",
          schema: {
            type: "object",
            properties: { limit: { type: "integer", maximum: 100 }, name: { type: "string", maxLength: 3 } },
          },
        },
      ],
    });
    const { query } = await importModule(code);
    const params = { limit: "20" };
    expect(query!(params)).toBe(true);
    expect(params.limit).toBe(20);
    expect(query!({ limit: "200" })).toBe(false);
    // Lengths count code points: one emoji is one character.
    expect(query!({ name: "😀😀😀" })).toBe(true);
    expect(query!({ name: "😀😀😀😀" })).toBe(false);
  });
});

describe("shared validators", () => {
  it("are declared once when several exports reach them, so the module loads", async () => {
    const code = compileStandaloneValidators({
      dialect: "draft-07",
      documents,
      runtimeModule,
      targets: [
        { name: "first", schema: schemaRef("asyncapi/cart.yaml", "/components/schemas/Paid") },
        {
          name: "second",
          schema: { type: "array", items: { $ref: schemaRef("asyncapi/cart.yaml", "/components/schemas/Paid") } },
        },
        { name: "money", schema: schemaRef("common/schemas.yaml", "/Money") },
      ],
    });
    const declarations = [...code.matchAll(/function (validate\d+)\(/g)].map((match) => match[1]);
    expect(new Set(declarations).size).toBe(declarations.length);
    const { first, second, money } = await importModule(code);
    expect(first!({ total: { amount: 1 } })).toBe(true);
    expect(second!([{ total: { amount: 1 } }, { total: {} }])).toBe(false);
    expect(money!({ amount: 3 })).toBe(true);
    // Money has no $ref: inlined where it is used, its errors keep the schemaPath of a called validator.
    expect(second!([{ total: { amount: -1 } }])).toBe(false);
    expect((second as unknown as { errors: { instancePath: string; schemaPath: string }[] }).errors).toMatchObject([
      { instancePath: "/0/total/amount", schemaPath: "#/properties/amount/minimum" },
    ]);
  });
});

describe("length bounds", () => {
  it("give ajv's own verdicts and errors for strings around each bound, astral characters and lone surrogates included", async () => {
    const schema = {
      type: "object",
      properties: {
        short: { type: "string", minLength: 2, maxLength: 3 },
        some: { type: "string", minLength: 1 },
        long: { type: "string", maxLength: 4, pattern: "^[^x]*$" },
      },
    };
    const code = compileStandaloneValidators({
      dialect: "2020-12",
      documents,
      runtimeModule,
      targets: [{ name: "bounded", schema }],
    });
    expect(code).toMatch(/\.length > 3 && /);
    const { bounded } = (await importModule(code)) as Record<
      string,
      ((data: unknown) => boolean) & { errors?: unknown }
    >;
    const reference = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    const pieces = ["", "a", "😀", "\uD800", "\uDC00", "x"];
    const strings = new Set<string>();
    for (const a of pieces) for (const b of pieces) for (const c of pieces) strings.add(a + b + c + (a && "😀😀"));
    for (const text of strings) {
      const data = { short: text, some: text, long: text };
      expect(bounded!(data)).toBe(reference(data));
      expect(bounded!.errors ?? null).toEqual(reference.errors ?? null);
    }
  });
});
