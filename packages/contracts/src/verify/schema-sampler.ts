import RandExp from "randexp";
import { child, isNode, items } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import type { ResolvedRef } from "../source/contract-set.js";

/**
 * How a valid value is made from a schema: `required` fills only required properties, `all` every property, and
 * `min`/`max` every property at its lower or upper bounds (lengths, ranges, item counts).
 */
export type SampleMode = "required" | "all" | "min" | "max";

/** What the sampler needs: the contracts (to follow `$ref`s), a seeded random source, and ids known so far. */
export interface SampleOptions {
  readonly mode: SampleMode;
  /** A number in [0, 1), from a seeded generator so that `--seed` reproduces every request. */
  readonly random: () => number;
  /** Values of ids created or seen earlier in the run, by property or parameter name (`cartId`, `productId`). */
  readonly bindings?: ReadonlyMap<string, string>;
}

type Json = Record<string, unknown>;
const maxDepth = 8;

/** A schema with its `allOf` members merged, so an object's properties and required list are seen at once. */
export function flatten(view: LintContext, raw: ResolvedRef): { at: ResolvedRef; schema: Json } | undefined {
  const at = view.deref(raw);
  if (!at || !isNode(at.value)) return undefined;
  const members = items(child(at, "allOf"));
  if (members.length === 0) return { at, schema: at.value };
  const merged: Json = { ...at.value };
  delete merged.allOf;
  for (const member of members) {
    const flat = flatten(view, member);
    if (!flat) continue;
    for (const [key, value] of Object.entries(flat.schema)) {
      if (key === "properties" && isNode(merged.properties) && isNode(value))
        merged.properties = { ...merged.properties, ...value };
      else if (key === "required" && Array.isArray(merged.required) && Array.isArray(value))
        merged.required = [...merged.required, ...value];
      else if (!(key in merged)) merged[key] = value;
    }
  }
  // Properties merged from other files keep their own `$ref`s: resolve each where it was written.
  const properties: Json = {};
  for (const member of [at, ...members]) {
    const flat = member === at ? { at } : flatten(view, member);
    if (!flat) continue;
    const props = child(flat.at, "properties");
    if (isNode(props.value)) for (const name of Object.keys(props.value)) properties[name] = child(props, name);
  }
  return { at: { ...at, value: merged }, schema: { ...merged, "x-located-properties": properties } };
}

/** Where a property's schema is, so its `$ref`s resolve from the right file. */
export function propertyAt(flat: { at: ResolvedRef; schema: Json }, name: string): ResolvedRef {
  const located = flat.schema["x-located-properties"];
  if (isNode(located) && located[name]) return located[name] as ResolvedRef;
  return child(flat.at, "properties", name);
}

const pick = <T>(values: readonly T[], random: () => number): T | undefined =>
  values[Math.floor(random() * values.length)];

/** A value valid against the schema at `raw`, in `options.mode`. */
export function sampleValue(view: LintContext, raw: ResolvedRef, options: SampleOptions, depth = 0): unknown {
  const flat = flatten(view, raw);
  if (!flat || depth > maxDepth) return undefined;
  const { at, schema } = flat;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((value) => value !== null);
    return options.mode === "max"
      ? values[values.length - 1]
      : options.mode === "min"
        ? values[0]
        : pick(values, options.random);
  }
  for (const union of ["oneOf", "anyOf"]) {
    const branches = items(child(at, union)).filter(
      (branch) => !(isNode(branch.value) && branch.value.type === "null"),
    );
    const branch = options.mode === "max" ? branches[branches.length - 1] : branches[0];
    if (branch) return sampleValue(view, branch, options, depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((entry) => entry !== "null") : schema.type;
  // A scalar's own example is the best valid value there is (ids, ISBNs, currencies with patterns).
  const examples = Array.isArray(schema.examples) ? schema.examples : "example" in schema ? [schema.example] : [];
  if (type !== "object" && type !== "array" && examples.length > 0 && options.mode !== "min" && options.mode !== "max")
    return examples[0];
  switch (type ?? (isNode(schema.properties) ? "object" : undefined)) {
    case "object":
      return sampleObject(view, flat, options, depth);
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0;
      const max = typeof schema.maxItems === "number" ? schema.maxItems : Math.max(min, 2);
      const count =
        options.mode === "min" ? Math.max(min, 1) : options.mode === "max" ? Math.min(max, 3) : Math.max(min, 1);
      const itemAt = child(at, "items");
      const values = Array.from({ length: count }, () => sampleValue(view, itemAt, options, depth + 1)).filter(
        (value) => value !== undefined,
      );
      // Examples repeat: where items must be unique, keep the distinct ones.
      if (schema.uniqueItems !== true) return values;
      const seen = new Set<string>();
      return values.filter((value) => {
        const key = JSON.stringify(value);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
    }
    case "string":
      return sampleString(schema, options, examples);
    case "integer":
    case "number":
      return sampleNumber(schema, type === "integer", options);
    case "boolean":
      return options.mode !== "min";
    case "null":
      return null;
    default:
      return examples[0] ?? {};
  }
}

function sampleObject(
  view: LintContext,
  flat: { at: ResolvedRef; schema: Json },
  options: SampleOptions,
  depth: number,
): Json {
  const { schema } = flat;
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const names = isNode(schema.properties) ? Object.keys(schema.properties) : [];
  const minProperties = typeof schema.minProperties === "number" ? schema.minProperties : 0;
  const result: Json = {};
  for (const name of names) {
    // "Required only" still gives an object at least minProperties big (a PATCH body must change something).
    const wanted = required.has(name) || Object.keys(result).length < minProperties - required.size;
    if (options.mode === "required" && !wanted) continue;
    const property = propertyAt(flat, name);
    const propertySchema = view.deref(property)?.value;
    if (
      isNode(propertySchema) &&
      (propertySchema.readOnly === true || propertySchema.deprecated === true) &&
      !required.has(name)
    )
      continue;
    const bound = options.bindings?.get(name);
    const value = bound ?? sampleValue(view, property, options, depth + 1);
    if (value !== undefined) result[name] = value;
  }
  return result;
}

function sampleString(schema: Json, options: SampleOptions, examples: unknown[]): string {
  const minLength = typeof schema.minLength === "number" ? schema.minLength : 0;
  const maxLength = typeof schema.maxLength === "number" ? schema.maxLength : undefined;
  if (typeof schema.pattern === "string") {
    const example = examples.find((value): value is string => typeof value === "string");
    if (example !== undefined) return example;
    const generator = new RandExp(schema.pattern);
    generator.max = Math.min(maxLength ?? 8, 8);
    generator.randInt = (from: number, to: number) => from + Math.floor(options.random() * (to - from + 1));
    return generator.gen();
  }
  switch (schema.format) {
    case "date-time":
      return "2026-01-18T12:00:00Z";
    case "date":
      return "2026-01-18";
    case "email":
      return `verify.${Math.floor(options.random() * 1e9)}@example.com`;
    case "uri":
    case "url":
      return "https://example.com/verify";
    case "uuid":
      return "3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b";
  }
  const example = examples.find((value): value is string => typeof value === "string");
  if (options.mode === "min") return "v".repeat(Math.max(minLength, 1));
  if (options.mode === "max") return "v".repeat(maxLength ?? Math.max(minLength, 16));
  if (example !== undefined) return example;
  const base = "verify";
  const length = Math.min(Math.max(minLength, base.length), maxLength ?? base.length);
  return base.padEnd(length, "v").slice(0, length);
}

function sampleNumber(schema: Json, integer: boolean, options: SampleOptions): number {
  const step = integer ? 1 : 0.5;
  const minimum =
    typeof schema.minimum === "number"
      ? schema.minimum
      : typeof schema.exclusiveMinimum === "number"
        ? schema.exclusiveMinimum + step
        : undefined;
  const maximum =
    typeof schema.maximum === "number"
      ? schema.maximum
      : typeof schema.exclusiveMaximum === "number"
        ? schema.exclusiveMaximum - step
        : undefined;
  if (options.mode === "min" && minimum !== undefined) return minimum;
  if (options.mode === "max" && maximum !== undefined) return maximum;
  const low = minimum ?? 0;
  const high = maximum ?? low + 10;
  const value = low + Math.floor(options.random() * (Math.min(high, low + 10) - low + 1));
  return integer ? Math.round(value) : value;
}
