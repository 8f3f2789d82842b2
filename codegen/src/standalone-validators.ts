import { _, Ajv, type KeywordCxt, type Options } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";

/** The base every contract file's schemas are registered under, so relative `$ref`s between files resolve. */
export const CONTRACT_BASE_URI = "https://contracts.ecom.dev/";

/** The absolute schema id of a location in a contract file: `openapi/cart.yaml` + `/components/schemas/Cart`. */
export function schemaRef(file: string, pointer: string): string {
  const fragment = pointer
    .split("/")
    .map((segment) => encodeURIComponent(segment).replace(/%7E/g, "~"))
    .join("/");
  return `${CONTRACT_BASE_URI}${file}#${fragment}`;
}

/** One validator to emit: its exported name and the schema it checks. */
export interface ValidatorTarget {
  readonly name: string;
  /** A schema id from {@link schemaRef}, or an inline schema whose `$ref`s are absolute. */
  readonly schema: string | Record<string, unknown>;
}

/** What to compile: the dialect, every contract document, and the validators wanted. */
export interface StandaloneOptions {
  /** OpenAPI 3.1 speaks JSON Schema 2020-12; AsyncAPI 3.0's default schema format is a draft-07 superset. */
  readonly dialect: "2020-12" | "draft-07";
  /** Every contract document by path; registered whole so that any pointer into them resolves. */
  readonly documents: ReadonlyMap<string, unknown>;
  readonly targets: readonly ValidatorTarget[];
  /** Report every error, so a caller can fix all at once (the default), or stop at the first. */
  readonly allErrors?: boolean;
  /** The module the validators import ajv's runtime helpers from (`fullFormats`, `ucs2length`, `equal`). */
  readonly runtimeModule: string;
  /**
   * Coerce strings to the schema's type (query, path and header parameters arrive as strings); `"array"` also turns
   * a single value into a one-item array where the schema wants an array (`?status=PAID`).
   */
  readonly coerceTypes?: boolean | "array";
}

/**
 * Compile validators to standalone ES module source with ajv: no schema work is left for import time.
 * ajv's standalone output still `require`s its format and runtime helpers; those become imports here so the
 * module is pure ESM.
 */
export function compileStandaloneValidators(options: StandaloneOptions): string {
  const ajvOptions: Options = {
    code: { source: true, esm: true, lines: false },
    allErrors: options.allErrors ?? true,
    strict: false,
    coerceTypes: options.coerceTypes ?? false,
    // A referenced schema without `$ref`s of its own (an id, Currency, Timestamp: ajv counts keys, and an
    // example's characters) is inlined where it is used, not called with a fresh options object and path string:
    // a 20-item product page validates in 23 % less time and the output is 3 % smaller (a call costs more text
    // than such a body). Schemas that reference others stay shared functions. 40 inlines every such leaf here.
    inlineRefs: 40,
  };
  const ajv = options.dialect === "2020-12" ? new Ajv2020(ajvOptions) : new Ajv(ajvOptions);
  addFormats.default(ajv);
  guardLengthCounts(ajv);
  keepSchemaPathsOfInlinedRefs(ajv);
  for (const [file, document] of options.documents) {
    ajv.addSchema({ ...(document as object), $id: `${CONTRACT_BASE_URI}${file}` }, undefined, undefined, false);
  }
  const refs: Record<string, string> = {};
  for (const target of options.targets) {
    if (typeof target.schema === "string") {
      refs[target.name] = target.schema;
    } else {
      const id = `${CONTRACT_BASE_URI}__inline/${target.name}`;
      ajv.addSchema({ ...target.schema, $id: id }, undefined, undefined, false);
      refs[target.name] = id;
    }
  }
  return esmOnly(withoutDuplicateFunctions(standaloneCode.default(ajv, refs)), options.runtimeModule);
}

/**
 * minLength/maxLength count code points (ajv's `ucs2length`: a call and a scan of the string), but a string's
 * UTF-16 length bounds that count: `length` code units hold between ⌈length/2⌉ and `length` code points. So a string
 * can only be too long when `length > max`, and only too short when `length < 2 × min`; asking that first skips the
 * count for nearly every string of a valid response (it was 8 % of validating a product page). Same verdicts, same
 * errors: only the condition ajv's own keyword code fails on gets the cheap test in front.
 */
function guardLengthCounts(ajv: Ajv): void {
  for (const keyword of ["maxLength", "minLength"] as const) {
    // Each ajv instance holds its own copy of a keyword's definition, so this changes no other instance.
    const rule = ajv.RULES.all[keyword];
    const definition = typeof rule === "object" ? rule.definition : undefined;
    if (!definition || !("code" in definition)) throw new Error(`ajv no longer defines ${keyword} by code`);
    const original = definition.code;
    definition.code = (cxt: KeywordCxt, ruleType?: string) => {
      if (cxt.$data || typeof cxt.schema !== "number") return original(cxt, ruleType);
      const guard =
        keyword === "maxLength" ? _`${cxt.data}.length > ${cxt.schema}` : _`${cxt.data}.length < ${2 * cxt.schema}`;
      const guarded: KeywordCxt = Object.create(cxt);
      guarded.fail$data = (condition) => cxt.fail$data(_`${guard} && ${condition}`);
      original(guarded, ruleType);
    };
  }
}

/**
 * ajv reports an error inside an inlined `$ref` at the ref's own path (`../common/schemas.yaml#/Currency/pattern`),
 * a called one at its schema's root (`#/pattern`); keep the latter, so inlining changes no reported schemaPath.
 */
function keepSchemaPathsOfInlinedRefs(ajv: Ajv): void {
  const rule = ajv.RULES.all.$ref;
  const definition = typeof rule === "object" ? rule.definition : undefined;
  if (!definition || !("code" in definition)) throw new Error("ajv no longer defines $ref by code");
  const original = definition.code;
  definition.code = (cxt: KeywordCxt, ruleType?: string) => {
    const kept: KeywordCxt = Object.create(cxt);
    kept.subschema = (applicator, valid) =>
      cxt.subschema(
        applicator.errSchemaPath === cxt.schema ? { ...applicator, errSchemaPath: "#" } : applicator,
        valid,
      );
    original(kept, ruleType);
  };
}

/**
 * ajv's standalone output repeats a shared validator function once per export that reaches it, under the same name;
 * in an ES module a repeated declaration is a SyntaxError, and it multiplies the size. Keep the first of each.
 */
export function withoutDuplicateFunctions(code: string): string {
  const seen = new Set<string>();
  let out = "";
  let index = 0;
  const declaration = /function (validate\d+)\(/g;
  for (let match = declaration.exec(code); match; match = declaration.exec(code)) {
    const start = match.index;
    const end = endOfFunction(code, code.indexOf("{", start + match[0].length - 1));
    const name = match[1]!;
    out += code.slice(index, start);
    if (!seen.has(name)) {
      seen.add(name);
      out += code.slice(start, end);
    }
    index = end;
    declaration.lastIndex = end;
  }
  return out + code.slice(index);
}

/** The index just past the brace that closes the one at `open`, skipping strings and comments. */
function endOfFunction(code: string, open: number): number {
  // The parameter list has a destructuring default `{…}={}` before the body; find the body's brace after `)`.
  let depth = 0;
  let i = open;
  let inParameters = true;
  for (; i < code.length; i++) {
    const char = code[i];
    if (char === '"' || char === "'") {
      for (i++; i < code.length && code[i] !== char; i++) if (code[i] === "\\") i++;
    } else if (char === "/" && code[i + 1] === "*") {
      i = code.indexOf("*/", i + 2) + 1;
    } else if (char === "{") {
      depth++;
    } else if (char === "}") {
      depth--;
      if (depth === 0 && !inParameters) return i + 1;
    } else if (char === ")" && depth === 0 && inParameters) {
      inParameters = false;
    }
  }
  return i;
}

/** ajv's `require`d helpers, and the name each has in the runtime module. */
const RUNTIME_HELPERS: Readonly<Record<string, string>> = {
  'require("ajv-formats/dist/formats").fullFormats': "fullFormats",
  'require("ajv/dist/runtime/ucs2length").default': "ucs2length",
  'require("ajv/dist/runtime/equal").default': "equal",
};

/**
 * Replace every `require(…)` of ajv's standalone output with a helper imported from the runtime module, so the
 * module is pure ESM. A helper this does not know is an error rather than a broken module.
 */
function esmOnly(code: string, runtimeModule: string): string {
  const used = new Set<string>();
  const body = code.replace(/require\("[^"]+"\)(\.[A-Za-z]+)?/g, (expression) => {
    const helper = RUNTIME_HELPERS[expression];
    if (!helper)
      throw new Error(`ajv standalone code needs ${expression}, which the validators' runtime does not provide`);
    used.add(helper);
    return helper;
  });
  const header = used.size > 0 ? `import { ${[...used].sort().join(", ")} } from "${runtimeModule}";` : "";
  return `${header}\n${body.replace(/^"use strict";/, "")}\n`;
}
