import { toPointer } from "../source/yaml-document.js";
import type { CompareContext } from "./compare-context.js";
import type { ContractSnapshot } from "./contract-snapshot.js";
import { roleOf } from "./contract-snapshot.js";
import type { ContractKind } from "./finding.js";
import { isObject } from "./json-object.js";
import { docKeywords, valueKey } from "./schema-view.js";

/*
 * The SDK surface: names that `ecom codegen` turns into identifiers users write in their code. A change to one of
 * them leaves the wire untouched, so the wire rules see nothing, yet every SDK user's build breaks:
 * - an operation's `operationId` is its client method (`clients.cart.getCart`), its validators' names and its MSW
 *   handler; the OpenAPI file it sits in names the client (`clients.cart`);
 * - a schema's name under `components.schemas` (and a top-level name in a shared schema file, which
 *   openapi-typescript lifts into every document that refers to it) is a generated type name
 *   (`cartApi.components["schemas"]["Cart"]`, `CartSchemas["schemas"]["CartCheckedOutPayload"]`).
 * Tags name nothing in the generated code; a renamed tag is reported so that a reviewer sees it was looked at.
 */

const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const contextOf = (file: string) => file.replace(/^.*\//, "").replace(/\.(ya?ml|json)$/, "");

/** Compare the names the generated SDK derives from the contracts. */
export function compareSdkSurface(context: CompareContext): void {
  compareOperationIds(context);
  for (const file of [...new Set([...context.base.texts.keys(), ...context.head.texts.keys()])].sort()) {
    if (!context.dirty.has(file)) continue;
    const role = roleOf(file);
    if (role === "openapi" || role === "asyncapi" || role === "shared") compareSchemaNames(context, file, role);
    if (role === "openapi") compareTags(context, file);
  }
}

interface NamedOperation {
  readonly file: string;
  readonly pointer: string;
  readonly label: string;
  readonly operationId: string;
}

function operationsById(snapshot: ContractSnapshot, files: readonly string[]): Map<string, NamedOperation> {
  const result = new Map<string, NamedOperation>();
  for (const file of files) {
    const root = snapshot.document(file)?.value;
    const paths = isObject(root) ? root.paths : undefined;
    if (!isObject(paths)) continue;
    for (const [path, item] of Object.entries(paths)) {
      if (!isObject(item)) continue;
      for (const method of methods) {
        const operation = item[method];
        if (!isObject(operation) || typeof operation.operationId !== "string") continue;
        // Operations are matched as the wire rules match them: by method and path template.
        result.set(`${method} ${path.replace(/\{[^}]*\}/g, "{}")}`, {
          file,
          pointer: toPointer(["paths", path, method, "operationId"]),
          label: `${method.toUpperCase()} ${path}`,
          operationId: operation.operationId,
        });
      }
    }
  }
  return result;
}

function compareOperationIds(context: CompareContext): void {
  const files = [...new Set([...context.base.paths("openapi"), ...context.head.paths("openapi")])].filter((file) =>
    context.dirty.has(file),
  );
  const before = operationsById(context.base, files);
  const after = operationsById(context.head, files);
  for (const [key, old] of before) {
    const now = after.get(key);
    if (!now) continue;
    const client = (operation: NamedOperation) => `clients.${contextOf(operation.file)}.${operation.operationId}`;
    if (client(old) === client(now)) continue;
    context.emit({
      ruleId: "openapi/sdk-operation-renamed",
      kind: "openapi",
      side: "head",
      file: now.file,
      pointer: now.pointer,
      message: `${now.label}: the generated SDK method ${client(old)} becomes ${client(now)} (operationId or context file changed); every SDK user's code that calls it stops compiling. Keep the old operationId, or ship the rename in a major SDK release`,
    });
  }
}

/** The generated type names of one file with their schemas: `components.schemas`, or a shared file's top level. */
function schemaNames(snapshot: ContractSnapshot, file: string, role: string): Map<string, unknown> {
  const root = snapshot.document(file)?.value;
  if (!isObject(root)) return new Map();
  if (role !== "shared") {
    const schemas = isObject(root.components) ? root.components.schemas : undefined;
    return new Map(isObject(schemas) ? Object.entries(schemas) : []);
  }
  // A shared file holds schemas at its top level (common/schemas.yaml); other shared files (common/openapi.yaml:
  // parameters, responses) hold no schema there and give no type names.
  const looksLikeSchema = (value: unknown) =>
    isObject(value) &&
    ["type", "$ref", "allOf", "oneOf", "anyOf", "enum", "const", "properties"].some((key) => key in value);
  return new Map(Object.entries(root).filter(([, value]) => looksLikeSchema(value)));
}

/** A schema's meaning without its documentation, to recognise a rename whose schema stayed the same. */
const shapeKey = (schema: unknown) =>
  valueKey(
    isObject(schema) ? Object.fromEntries(Object.entries(schema).filter(([key]) => !docKeywords.has(key))) : schema,
  );

function compareSchemaNames(context: CompareContext, file: string, role: string): void {
  const before = schemaNames(context.base, file, role);
  const after = schemaNames(context.head, file, role);
  if (before.size === 0) return;
  const kind: ContractKind = role === "asyncapi" ? "asyncapi" : "openapi";
  const pointerOf = (name: string) =>
    role === "shared" ? toPointer([name]) : toPointer(["components", "schemas", name]);
  const added = [...after.keys()].filter((name) => !before.has(name));
  const headHasFile = context.head.texts.has(file);
  for (const [name, schema] of before) {
    if (after.has(name)) continue;
    const renamedTo = added.find((candidate) => shapeKey(after.get(candidate)) === shapeKey(schema));
    if (renamedTo !== undefined) {
      context.emit({
        ruleId: `${kind}/sdk-schema-renamed`,
        kind,
        side: "head",
        file,
        pointer: pointerOf(renamedTo),
        message: `schema ${name} renamed to ${renamedTo}: the wire is unchanged, but the generated type ${name} is gone and SDK users' code that names it stops compiling. Keep the old name, or ship the rename in a major SDK release`,
      });
    } else {
      context.emit({
        ruleId: `${kind}/sdk-schema-removed`,
        kind,
        side: headHasFile ? "head" : "base",
        file,
        pointer: headHasFile ? (role === "shared" ? "" : "/components/schemas") : pointerOf(name),
        message: `schema ${name} removed: the generated type ${name} is gone and SDK users' code that names it stops compiling`,
      });
    }
  }
}

function tagNames(snapshot: ContractSnapshot, file: string): string[] {
  const root = snapshot.document(file)?.value;
  const tags = isObject(root) && Array.isArray(root.tags) ? root.tags : [];
  return tags.filter(isObject).map((tag) => String(tag.name));
}

function compareTags(context: CompareContext, file: string): void {
  const before = tagNames(context.base, file);
  const after = tagNames(context.head, file);
  const removed = before.filter((name) => !after.includes(name));
  const added = after.filter((name) => !before.includes(name));
  removed.forEach((name, index) => {
    const renamedTo = removed.length === added.length ? added[index] : undefined;
    const position = renamedTo === undefined ? -1 : after.indexOf(renamedTo);
    context.emit({
      ruleId: "openapi/tag-renamed",
      kind: "openapi",
      side: "head",
      file,
      pointer: position < 0 ? "/tags" : toPointer(["tags", position]),
      message: `tag ${name} ${renamedTo === undefined ? "removed" : `renamed to ${renamedTo}`}: documentation grouping only; ecom's generated SDK derives no name from tags (clients are named by context, methods by operationId)`,
    });
  });
}
