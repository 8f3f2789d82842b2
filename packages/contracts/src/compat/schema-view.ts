import { toPointer } from "../source/yaml-document.js";
import type { ContractSnapshot, Located } from "./contract-snapshot.js";
import { isObject } from "./json-object.js";

/** Keywords that only document a schema or an API element; a change to them is never more than `info`. */
export const docKeywords: ReadonlySet<string> = new Set([
  "description",
  "title",
  "summary",
  "example",
  "examples",
  "$comment",
  "deprecated",
  "externalDocs",
  "tags",
]);

/** Keywords that name or organise a schema and constrain nothing. */
const neutralKeywords = new Set(["$schema", "$id", "$anchor", "$dynamicAnchor", "$defs", "definitions", "xml"]);

/** JSON Schema types other than `null`, which the view keeps apart as {@link SchemaView.nullable}. */
export type JsonType = "string" | "number" | "integer" | "boolean" | "object" | "array";

const jsonTypes: ReadonlySet<string> = new Set(["string", "number", "integer", "boolean", "object", "array"]);

/** Numeric keywords whose lower value is the tighter one. */
export const upperBounds = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"];
/** Numeric keywords whose higher value is the tighter one. */
export const lowerBounds = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"];
/** String keywords: adding one tightens, removing one loosens, changing one is neither provably. */
export const restrictions = ["pattern", "format", "contentMediaType", "contentEncoding"];
const scalarKeywords = new Set([
  ...upperBounds,
  ...lowerBounds,
  ...restrictions,
  "multipleOf",
  "uniqueItems",
  "default",
]);

/** A scalar keyword's value and the schema object it was written in. */
export interface KeywordValue {
  readonly value: unknown;
  readonly at: Located;
}

/** A union (`oneOf` or `anyOf`) and its branches, the `null` branch taken out into {@link SchemaView.nullable}. */
export interface SchemaUnion {
  readonly keyword: "oneOf" | "anyOf";
  readonly branches: readonly Located[];
  readonly at: Located;
}

/**
 * A schema as the differ sees it: `$ref`s followed, `allOf` members merged into one set of constraints, a
 * `null` branch of a union (`anyOf: [X, {type: null}]`) turned into `nullable`, a one-branch union inlined, and
 * documentation keywords dropped. The properties, items and branches stay unresolved {@link Located} nodes, so
 * that nested schemas are only looked at when compared (which is what lets recursive schemas terminate).
 */
export interface SchemaView {
  /** The schema objects that make up this schema (the `$ref` targets and `allOf` members), in order. */
  readonly parts: readonly Located[];
  /** Identity of the view: where its parts are. Two views with the same id in unchanged files are the same. */
  readonly id: string;
  /** Accepts any value: `{}`, `true`, or nothing but documentation. */
  readonly any: boolean;
  /** Accepts nothing: `false`. */
  readonly never: boolean;
  /** The `$ref` that could not be resolved, when one could not. */
  readonly unresolved: string | undefined;
  /** Allowed types, `null` excluded; undefined when `type` does not restrict them. */
  readonly types: ReadonlySet<JsonType> | undefined;
  readonly nullable: boolean;
  /** `enum`/`const` values, `null` excluded. */
  readonly enumValues: readonly unknown[] | undefined;
  /** Bounds, pattern, format, multipleOf, uniqueItems and default. */
  readonly keywords: ReadonlyMap<string, KeywordValue>;
  readonly properties: ReadonlyMap<string, readonly Located[]>;
  readonly required: ReadonlySet<string>;
  /** `false` for a closed object, the schemas of additional properties, or undefined for an open object. */
  readonly additional: false | readonly Located[] | undefined;
  readonly patternProperties: ReadonlyMap<string, readonly Located[]>;
  /** Whether the schema says anything about objects (properties, required, additionalProperties, …). */
  readonly objectish: boolean;
  readonly items: readonly Located[] | undefined;
  readonly union: SchemaUnion | undefined;
  readonly readOnly: boolean;
  readonly writeOnly: boolean;
  /** Keywords the differ does not interpret (not, if/then/else, discriminator, …), compared by value. */
  readonly other: ReadonlyMap<string, readonly unknown[]>;
}

/** Whether `key` of a schema object constrains anything (not documentation, not an `x-` extension). */
export function isConstraintKey(key: string): boolean {
  return !docKeywords.has(key) && !key.startsWith("x-") && !neutralKeywords.has(key);
}

const child = (node: Located, ...segments: (string | number)[]): Located => ({
  file: node.file,
  pointer: node.pointer + toPointer(segments),
  value: segments.reduce<unknown>((value, segment) => (value as Record<string, unknown>)?.[segment], node.value),
});

/** A stable text for a JSON value, for comparing enum values and defaults. */
export function valueKey(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    isObject(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

class ViewBuilder {
  readonly parts: Located[] = [];
  constrained = false;
  never = false;
  unresolved: string | undefined;
  types: Set<JsonType> | undefined;
  readonly nullVotes: boolean[] = [];
  nullBranch = false;
  enumHasNull = false;
  enumValues: unknown[] | undefined;
  readonly keywords = new Map<string, KeywordValue>();
  readonly properties = new Map<string, Located[]>();
  readonly required = new Set<string>();
  additional: false | Located[] | undefined;
  readonly patternProperties = new Map<string, Located[]>();
  objectish = false;
  items: Located[] | undefined;
  union: SchemaUnion | undefined;
  readOnly = false;
  writeOnly = false;
  readonly other = new Map<string, unknown[]>();

  constructor(readonly snapshot: ContractSnapshot) {}

  /** Merge `node` (and, through `$ref` and `allOf`, everything it stands for) into the view. */
  add(node: Located, seen: Set<string>): void {
    let current = node;
    for (;;) {
      const value = current.value;
      if (value === false) {
        this.never = true;
        this.constrained = true;
        return;
      }
      if (!isObject(value)) return;
      const ref = value.$ref;
      if (typeof ref !== "string") break;
      const target = this.snapshot.resolve(current.file, ref);
      if (!target) {
        this.unresolved = ref;
        this.constrained = true;
        return;
      }
      const key = `${target.file}#${target.pointer}`;
      if (seen.has(key)) return;
      seen.add(key);
      const siblings = Object.keys(value).filter((name) => name !== "$ref" && isConstraintKey(name));
      if (siblings.length > 0) {
        // OpenAPI 3.1 allows keywords beside $ref; they apply together with the target, like allOf.
        const { $ref: _ref, ...rest } = value;
        this.add({ file: current.file, pointer: current.pointer, value: rest }, seen);
      }
      current = target;
    }
    this.addObject(current, seen);
  }

  private addObject(node: Located, seen: Set<string>): void {
    const value = node.value as Record<string, unknown>;
    const allOf = value.allOf;
    if (Array.isArray(allOf)) {
      allOf.forEach((_member, index) => {
        this.add(child(node, "allOf", index), seen);
      });
    }
    let inlined = false;
    for (const keyword of ["oneOf", "anyOf"] as const) {
      const branches = value[keyword];
      if (!Array.isArray(branches)) continue;
      const located = branches.map((_branch, index) => child(node, keyword, index));
      const kept = located.filter((branch) => !this.isNullSchema(branch));
      if (kept.length < located.length) this.nullBranch = true;
      const others = Object.keys(value).filter((name) => isConstraintKey(name) && name !== keyword && name !== "allOf");
      if (kept.length === 1 && others.length === 0 && kept[0]) {
        // `anyOf: [X, {type: "null"}]` is "X or null": compare it as X, nullable.
        this.add(kept[0], seen);
        inlined = true;
      } else if (!this.union) {
        this.union = { keyword, branches: kept, at: node };
        this.constrained = true;
      } else {
        this.addOther(keyword, branches);
      }
    }
    const own = Object.keys(value).filter(
      (name) => isConstraintKey(name) && name !== "allOf" && name !== "oneOf" && name !== "anyOf",
    );
    if (own.length === 0 && (inlined || Array.isArray(allOf))) return;
    this.parts.push(node);
    for (const name of own) this.addKeyword(node, name, value[name]);
  }

  private isNullSchema(node: Located): boolean {
    let value = node.value;
    const seen = new Set<string>();
    let file = node.file;
    while (isObject(value) && typeof value.$ref === "string") {
      const target = this.snapshot.resolve(file, value.$ref);
      if (!target || seen.has(`${target.file}#${target.pointer}`)) return false;
      seen.add(`${target.file}#${target.pointer}`);
      value = target.value;
      file = target.file;
    }
    if (!isObject(value)) return false;
    const keys = Object.keys(value).filter(isConstraintKey);
    if (keys.length === 1 && (value.type === "null" || (Array.isArray(value.type) && value.type.join() === "null")))
      return true;
    return keys.length === 1 && (value.const === null || (Array.isArray(value.enum) && value.enum.join() === ""));
  }

  private addKeyword(node: Located, name: string, value: unknown): void {
    this.constrained = true;
    switch (name) {
      case "type": {
        const list = Array.isArray(value) ? value : [value];
        const set = new Set(list.filter((type): type is JsonType => typeof type === "string" && jsonTypes.has(type)));
        this.nullVotes.push(list.includes("null") || (node.value as Record<string, unknown>).nullable === true);
        this.types = this.types ? intersectTypes(this.types, set) : set;
        return;
      }
      case "nullable":
        if (!("type" in (node.value as object)) && value === true) this.nullVotes.push(true);
        return;
      case "enum":
      case "const": {
        const values = name === "enum" ? (Array.isArray(value) ? value : []) : [value];
        if (values.includes(null)) this.enumHasNull = true;
        const kept = values.filter((entry) => entry !== null);
        if (!this.enumValues) this.enumValues = kept;
        else {
          const keys = new Set(kept.map(valueKey));
          this.enumValues = this.enumValues.filter((entry) => keys.has(valueKey(entry)));
        }
        return;
      }
      case "properties":
        if (isObject(value)) {
          this.objectish = true;
          for (const property of Object.keys(value)) {
            const list = this.properties.get(property) ?? [];
            list.push(child(node, "properties", property));
            this.properties.set(property, list);
          }
        }
        return;
      case "patternProperties":
        if (isObject(value)) {
          this.objectish = true;
          for (const pattern of Object.keys(value)) {
            const list = this.patternProperties.get(pattern) ?? [];
            list.push(child(node, "patternProperties", pattern));
            this.patternProperties.set(pattern, list);
          }
        }
        return;
      case "required":
        this.objectish = true;
        if (Array.isArray(value))
          for (const property of value) if (typeof property === "string") this.required.add(property);
        return;
      case "additionalProperties":
      case "unevaluatedProperties":
        this.objectish = true;
        if (value === false) this.additional = false;
        else if (value !== true && this.additional !== false) {
          this.additional = [...(this.additional ?? []), child(node, name)];
        }
        return;
      case "items":
        if (Array.isArray(value)) this.addOther(name, value);
        else this.items = [...(this.items ?? []), child(node, "items")];
        return;
      case "readOnly":
        this.readOnly ||= value === true;
        return;
      case "writeOnly":
        this.writeOnly ||= value === true;
        return;
      default:
        if (scalarKeywords.has(name) && (typeof value !== "boolean" || name === "uniqueItems")) {
          this.addScalar(node, name, value);
          if (name === "minProperties" || name === "maxProperties") this.objectish = true;
          return;
        }
        this.addOther(name, value);
    }
  }

  private addScalar(node: Located, name: string, value: unknown): void {
    const existing = this.keywords.get(name);
    if (existing && typeof existing.value === "number" && typeof value === "number") {
      // In an allOf the tightest bound wins.
      const tighter = upperBounds.includes(name) ? value < existing.value : value > existing.value;
      if (!tighter) return;
    } else if (existing) return;
    this.keywords.set(name, { value, at: node });
  }

  private addOther(name: string, value: unknown): void {
    this.constrained = true;
    const list = this.other.get(name) ?? [];
    list.push(value);
    this.other.set(name, list);
  }

  build(): SchemaView {
    const any = !this.constrained && !this.nullBranch;
    const nullable = this.nullBranch || (this.nullVotes.length > 0 ? this.nullVotes.every(Boolean) : this.enumHasNull);
    return {
      parts: this.parts,
      id: this.parts.length === 0 ? (any ? "any" : "none") : this.parts.map((p) => `${p.file}#${p.pointer}`).join("&"),
      any,
      never: this.never,
      unresolved: this.unresolved,
      types: this.types,
      nullable,
      enumValues: this.enumValues,
      keywords: this.keywords,
      properties: this.properties,
      required: this.required,
      additional: this.additional,
      patternProperties: this.patternProperties,
      objectish: this.objectish,
      items: this.items,
      union: this.union,
      readOnly: this.readOnly,
      writeOnly: this.writeOnly,
      other: this.other,
    };
  }
}

function intersectTypes(a: ReadonlySet<JsonType>, b: ReadonlySet<JsonType>): Set<JsonType> {
  const result = new Set([...a].filter((type) => b.has(type)));
  if ((a.has("number") && b.has("integer")) || (a.has("integer") && b.has("number"))) result.add("integer");
  return result;
}

/** Build the view of the schema made of `nodes` (usually one; several when `allOf` members define a property). */
export function viewOf(nodes: readonly Located[], snapshot: ContractSnapshot): SchemaView {
  const builder = new ViewBuilder(snapshot);
  const seen = new Set<string>();
  for (const node of nodes) builder.add(node, seen);
  return builder.build();
}

/** True when every value of type `inner` is also of one of the types in `outer` (an integer is a number). */
export function coversTypes(outer: ReadonlySet<JsonType>, inner: ReadonlySet<JsonType>): boolean {
  return [...inner].every((type) => outer.has(type) || (type === "integer" && outer.has("number")));
}
