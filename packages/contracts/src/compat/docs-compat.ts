import { toPointer } from "../source/yaml-document.js";
import type { CompareContext } from "./compare-context.js";
import { referencedFiles, roleOf } from "./contract-snapshot.js";
import { isObject } from "./json-object.js";
import { docKeywords, valueKey } from "./schema-view.js";

/**
 * Keys whose value is a map from names to objects (`properties`, `paths`, `responses`, `channels`, …): below
 * them a key is a name, so a property called `description` is not mistaken for documentation.
 */
const nameMaps = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
  "paths",
  "webhooks",
  "schemas",
  "responses",
  "parameters",
  "headers",
  "content",
  "encoding",
  "links",
  "callbacks",
  "securitySchemes",
  "requestBodies",
  "pathItems",
  "channels",
  "operations",
  "messages",
  "servers",
  "variables",
  "messageTraits",
  "operationTraits",
  "serverBindings",
  "channelBindings",
  "operationBindings",
  "messageBindings",
  "correlationIds",
  "replies",
  "replyAddresses",
  "mapping",
  "scopes",
  "availableScopes",
]);

/** Keys whose value is data, not contract structure: never searched for documentation. */
const dataKeys = new Set(["enum", "const", "default", "required"]);

/** Documentation keys of the top-level object of an OpenAPI or AsyncAPI document. */
const rootDocKeys = new Set(["info", "tags", "externalDocs"]);

/**
 * Report documentation-only edits (descriptions, summaries, titles, examples, `deprecated`, tags) as `info`.
 * Only files whose text changed are walked; keyword positions are told from names (see {@link nameMaps}).
 */
export function compareDocs(context: CompareContext): void {
  for (const file of context.head.texts.keys()) {
    const role = roleOf(file);
    if (role !== "openapi" && role !== "asyncapi" && role !== "shared") continue;
    const before = context.base.texts.get(file);
    if (before === undefined || before === context.head.texts.get(file)) continue;
    const base = context.base.document(file)?.value;
    const head = context.head.document(file)?.value;
    const kind = role === "shared" ? sharedKind(context, file) : role;
    const report = (segments: readonly string[], what: string) =>
      context.emit({
        ruleId: `${kind}/docs-changed`,
        kind,
        side: "head",
        file,
        pointer: toPointer(segments),
        message: `documentation only: ${what}`,
      });
    walk(base, head, [], role === "shared" ? "names" : "root", report);
  }
}

/** A shared file's findings are filed under OpenAPI when an OpenAPI document uses it, else under AsyncAPI. */
function sharedKind(context: CompareContext, file: string): "openapi" | "asyncapi" {
  for (const path of context.head.paths("openapi")) {
    if (referencedFiles(path, context.head.texts.get(path) ?? "").has(file)) return "openapi";
  }
  for (const path of context.head.paths("asyncapi")) {
    if (referencedFiles(path, context.head.texts.get(path) ?? "").has(file)) return "asyncapi";
  }
  return "openapi";
}

type Position = "root" | "keywords" | "names";

function walk(
  base: unknown,
  head: unknown,
  segments: readonly string[],
  position: Position,
  report: (segments: readonly string[], what: string) => void,
): void {
  if (Array.isArray(base) && Array.isArray(head)) {
    const baseByKey = new Map(base.map((entry, index) => [identity(entry, index), entry]));
    head.forEach((entry, index) => {
      const key = identity(entry, index);
      if (baseByKey.has(key)) walk(baseByKey.get(key), entry, [...segments, String(index)], "keywords", report);
    });
    return;
  }
  if (!isObject(base) || !isObject(head)) return;
  for (const key of new Set([...Object.keys(base), ...Object.keys(head)])) {
    const next = [...segments, key];
    if (position === "names") {
      if (key in base && key in head) walk(base[key], head[key], next, "keywords", report);
      continue;
    }
    const isDoc = docKeywords.has(key) || (position === "root" && rootDocKeys.has(key));
    if (isDoc) {
      if (valueKey(base[key]) !== valueKey(head[key])) describe(base[key], head[key], next, report);
      continue;
    }
    if (dataKeys.has(key) || key.startsWith("x-") || !(key in base) || !(key in head)) continue;
    walk(base[key], head[key], next, nameMaps.has(key) && isObject(head[key]) ? "names" : "keywords", report);
  }
}

/** Narrow a documentation change down to the entries that changed (one example of many, one field of `info`). */
function describe(
  base: unknown,
  head: unknown,
  segments: readonly string[],
  report: (segments: readonly string[], what: string) => void,
): void {
  const name = segments.at(-1) ?? "";
  if (base === undefined || head === undefined) {
    report(segments, `${name} ${base === undefined ? "added" : "removed"}`);
    return;
  }
  if (isObject(base) && isObject(head)) {
    for (const key of new Set([...Object.keys(base), ...Object.keys(head)])) {
      if (valueKey(base[key]) !== valueKey(head[key])) describe(base[key], head[key], [...segments, key], report);
    }
    return;
  }
  report(segments, `${name} changed`);
}

/** How array entries are matched: by `$ref`, by `in`+`name` (parameters), by `name` (tags), else by position. */
function identity(entry: unknown, index: number): string {
  if (isObject(entry)) {
    if (typeof entry.$ref === "string") return `ref:${entry.$ref}`;
    if (typeof entry.name === "string") return `name:${String(entry.in ?? "")}:${entry.name}`;
  }
  return `index:${index}`;
}
