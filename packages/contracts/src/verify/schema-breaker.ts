import { isNode } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import type { ResolvedRef } from "../source/contract-set.js";
import { flatten, propertyAt } from "./schema-sampler.js";

/** One way of breaking a valid request body: what was done, and the body that results. */
export interface BrokenBody {
  /** `missing required property quantity`, `wrong type at /quantity`, … */
  readonly change: string;
  readonly body: unknown;
}

type Json = Record<string, unknown>;

const wrongTypeFor = (schema: Json): unknown => {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "string") return 12345;
  if (type === "integer" || type === "number") return "not-a-number";
  if (type === "boolean") return "not-a-boolean";
  if (type === "array") return "not-an-array";
  return 12345;
};

/**
 * Ways to break `valid` (a body valid against the object schema at `raw`), one per kind, each at the first
 * property where it applies: a required property missing, a wrong JSON type, a value out of range, a value outside
 * an enum, and an extra property where the object is closed. A server must answer each with a documented 4xx.
 */
export function breakBody(view: LintContext, raw: ResolvedRef, valid: unknown): BrokenBody[] {
  const flat = flatten(view, raw);
  if (!flat || !isNode(valid)) return [];
  const { schema } = flat;
  const broken: BrokenBody[] = [];
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const firstRequired = required.find((name) => name in valid);
  if (firstRequired !== undefined) {
    const { [firstRequired]: _removed, ...rest } = valid;
    broken.push({ change: `required property ${firstRequired} missing`, body: rest });
  }
  const properties = Object.keys(valid)
    .map((name) => ({ name, schema: view.deref(propertyAt(flat, name))?.value }))
    .filter((entry): entry is { name: string; schema: Json } => isNode(entry.schema));
  const typed = properties.find((entry) => entry.schema.type !== undefined && !("const" in entry.schema));
  if (typed)
    broken.push({
      change: `wrong type at /${typed.name}`,
      body: { ...valid, [typed.name]: wrongTypeFor(typed.schema) },
    });
  for (const entry of properties) {
    const outOfRange =
      typeof entry.schema.maximum === "number"
        ? entry.schema.maximum + 1
        : typeof entry.schema.exclusiveMaximum === "number"
          ? entry.schema.exclusiveMaximum
          : typeof entry.schema.maxLength === "number"
            ? "x".repeat(entry.schema.maxLength + 1)
            : typeof entry.schema.minimum === "number"
              ? entry.schema.minimum - 1
              : undefined;
    if (outOfRange === undefined) continue;
    broken.push({ change: `out of range at /${entry.name}`, body: { ...valid, [entry.name]: outOfRange } });
    break;
  }
  const enumerated = properties.find((entry) => Array.isArray(entry.schema.enum));
  if (enumerated)
    broken.push({
      change: `unknown enum value at /${enumerated.name}`,
      body: { ...valid, [enumerated.name]: "NOT_IN_THE_ENUM" },
    });
  if (schema.additionalProperties === false)
    broken.push({ change: "extra property on a closed object", body: { ...valid, unexpectedVerifyProperty: true } });
  return broken;
}
