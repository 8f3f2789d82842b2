import { join } from "node:path";
import { messages, restOperations, type SchemaLocation, schemaAt } from "@ecom/codegen";
import { createDirectoryFiles, loadContractSet, resolveRef } from "@ecom/contracts";
import * as messageValidators from "@ecom/sdk/contracts";
import { messageRegistry, restContexts } from "@ecom/sdk/contracts";
import { describe, expect, it } from "vitest";

const set = await loadContractSet(createDirectoryFiles(join(import.meta.dirname, "../contracts")));

type Located = { file: string; schema: unknown };

/** Follow `$ref`s (and single-branch allOf wrappers) until a schema without one. */
function deref({ file, schema }: Located): Located {
  for (let hops = 0; hops < 16; hops++) {
    const node = schema as { $ref?: unknown; allOf?: unknown[] } | undefined;
    if (node && typeof node.$ref === "string") {
      const target = resolveRef(set, file, node.$ref);
      if (!target) return { file, schema: undefined };
      ({ file, schema } = { file: target.file, schema: target.value });
    } else if (node && Array.isArray(node.allOf) && node.allOf.length === 1) {
      schema = node.allOf[0];
    } else break;
  }
  return { file, schema };
}

/** The schema that describes the value at `path` inside data described by `located`. */
function schemaAtPath(located: Located, path: readonly (string | number)[]): Located {
  let current = deref(located);
  for (const key of path) {
    const node = current.schema as { properties?: Record<string, unknown>; items?: unknown } | undefined;
    const next = typeof key === "number" ? node?.items : node?.properties?.[key];
    current = deref({ file: current.file, schema: next });
  }
  return current;
}

/** Whether the schema at `path` forbids a negative `amount` (Money does; a signed amount does not). */
function forbidsNegativeAmount(location: SchemaLocation | undefined, path: readonly (string | number)[]): boolean {
  if (!location) return false;
  const money = schemaAtPath({ file: location.file, schema: schemaAt(set, location) }, [...path, "amount"]).schema as
    | { minimum?: number }
    | undefined;
  return typeof money?.minimum === "number" && money.minimum >= 0;
}

/** The `required` list of the schema at a location, following `$ref`s at its top. */
function requiredAt(location: SchemaLocation | undefined): string[] {
  let file = location?.file;
  let schema = location ? schemaAt(set, location) : undefined;
  for (let hops = 0; hops < 16 && file && typeof schema === "object" && schema !== null && "$ref" in schema; hops++) {
    const target = resolveRef(set, file, String((schema as { $ref: unknown }).$ref));
    file = target?.file;
    schema = target?.value;
  }
  const required = (schema as { required?: unknown } | undefined)?.required;
  return Array.isArray(required) ? required.map(String) : [];
}

const payloadSchemas = new Map(messages(set).map((model) => [model.type, model.payload]));
const restSchemas = new Map(
  restOperations(set).flatMap((operation) => [
    [`${operation.operationId} request` as string, operation.requestBody?.schema] as const,
    ...operation.responses.map(
      (response) => [`${operation.operationId} ${response.status}` as string, response.schema] as const,
    ),
  ]),
);

type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const validators = messageValidators.messageValidators as unknown as Record<string, Validator>;

/** Every object in `value` that looks like Money (an integer `amount` beside a `currency`), with its path. */
function moneyPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => moneyPaths(item, [...path, index]));
  if (typeof value !== "object" || value === null) return [];
  const record = value as Record<string, unknown>;
  const own = Number.isInteger(record.amount) && typeof record.currency === "string" ? [path] : [];
  return [...own, ...Object.entries(record).flatMap(([key, child]) => moneyPaths(child, [...path, key]))];
}

function setAt(
  value: unknown,
  path: readonly (string | number)[],
  mutate: (holder: Record<string, unknown>) => void,
): unknown {
  const copy = structuredClone(value);
  let node = copy as Record<string, unknown>;
  for (const key of path) node = node[key as string] as Record<string, unknown>;
  mutate(node);
  return copy;
}

/** A value of another JSON type than `value`'s. */
const wrongType = (value: unknown): unknown =>
  typeof value === "string"
    ? 12345
    : typeof value === "number"
      ? "12345"
      : Array.isArray(value)
        ? { not: "an array" }
        : typeof value === "object"
          ? "not an object"
          : 0;

interface Case {
  readonly name: string;
  readonly validate: Validator;
  readonly example: unknown;
  /** The properties the example's schema requires. */
  readonly required: readonly string[];
  readonly schema: SchemaLocation | undefined;
}

const messageCases: Case[] = Object.values(messageRegistry).flatMap((entry) =>
  entry.example
    ? [
        {
          name: `${entry.type} payload`,
          validate: validators[entry.validator]!,
          example: entry.example.payload,
          required: requiredAt(payloadSchemas.get(entry.type)),
          schema: payloadSchemas.get(entry.type),
        },
      ]
    : [],
);

const restBindings = await Promise.all(
  Object.values(restContexts).map(async (binding) => ({ binding, validators: await binding.loadValidators() })),
);
const restCases: Case[] = restBindings.flatMap(({ binding, validators }) =>
  binding.operations.flatMap((operation) => {
    const bodies = validators.bodyValidators as Record<string, Validator>;
    const cases: Case[] = [];
    if (operation.requestBody?.example !== undefined) {
      const name = `${operation.operationId} request`;
      cases.push({
        name,
        validate: bodies[`${operation.operationId}_body`]!,
        example: operation.requestBody.example,
        required: requiredAt(restSchemas.get(name)),
        schema: restSchemas.get(name),
      });
    }
    for (const response of operation.responses) {
      if (response.example !== undefined && response.hasSchema) {
        const name = `${operation.operationId} ${response.status}`;
        cases.push({
          name,
          validate: bodies[`${operation.operationId}_${response.status}`]!,
          example: response.example,
          required: requiredAt(restSchemas.get(name)),
          schema: restSchemas.get(name),
        });
      }
    }
    return cases;
  }),
);

describe.each([
  ["message", messageCases],
  ["REST", restCases],
])("%s examples", (_kind, cases) => {
  it("exist", () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))(
    "%s passes its generated validator",
    (_name, testCase) => {
      expect(testCase.validate(testCase.example), JSON.stringify(testCase.validate.errors)).toBe(true);
    },
  );

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))(
    "%s is rejected once mutated",
    (_name, testCase) => {
      const { example, validate, required } = testCase;
      if (typeof example !== "object" || example === null || Array.isArray(example)) return;
      const keys = Object.keys(example);
      // Dropping any required property is refused.
      for (const key of required) {
        expect(validate(setAt(example, [], (holder) => delete holder[key])), `without required ${key}`).toBe(false);
      }
      // A wrong JSON type for any property is refused.
      for (const key of keys) {
        const value = (example as Record<string, unknown>)[key];
        expect(
          validate(setAt(example, [], (holder) => (holder[key] = wrongType(value)))),
          `${key} with a wrong type`,
        ).toBe(false);
      }
      // A negative amount of money is refused wherever the schema forbids one.
      for (const path of moneyPaths(example).filter((candidate) => forbidsNegativeAmount(testCase.schema, candidate))) {
        expect(
          validate(setAt(example, path, (holder) => (holder.amount = -1))),
          `negative amount at /${path.join("/")}`,
        ).toBe(false);
      }
    },
  );
});
