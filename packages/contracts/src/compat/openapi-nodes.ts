import { toPointer } from "../source/yaml-document.js";
import { type CompareContext, emitSchemaDifferences } from "./compare-context.js";
import type { ContractSnapshot, Located } from "./contract-snapshot.js";
import { isObject, type Json } from "./json-object.js";
import type { Side } from "./rule-catalog.js";

// What the OpenAPI comparison (openapi-compat.ts, openapi-operation-compat.ts) reads documents with: an operation
// of one side, a node at a pointer, `$ref`s followed, where a finding is reported, and schemas compared.

/** One operation of one side: where it is and what its path item and document say around it. */
export interface Operation {
  readonly file: string;
  /** The path as written (`/carts/{cartId}`) and with parameter names blanked (`/carts/{}`), for matching. */
  readonly path: string;
  readonly template: string;
  readonly method: string;
  readonly pathItem: Located;
  readonly operation: Located;
  readonly root: Record<string, unknown>;
}

export const at = (node: Located, ...segments: (string | number)[]): Located => ({
  file: node.file,
  pointer: node.pointer + toPointer(segments),
  value: segments.reduce<unknown>(
    (value, segment) => (isObject(value) || Array.isArray(value) ? (value as Json)[segment] : undefined),
    node.value,
  ),
});

export const label = (operation: Operation) => `${operation.method.toUpperCase()} ${operation.path}`;

export interface Where {
  readonly side: "base" | "head";
  readonly file: string;
  readonly pointer: string;
}

export const location = (node: { file: string; pointer: string }): Where => ({
  side: "head",
  file: node.file,
  pointer: node.pointer,
});

/** Where to report something removed: in the head file when it still exists, else where it was in the base. */
export function removedLocation(context: CompareContext, file: string, pointer: string): Where {
  return { side: context.head.texts.has(file) ? "head" : "base", file, pointer };
}

export function emit(
  context: CompareContext,
  rule: string,
  where: Where,
  details: { message: string; usage?: string },
): void {
  context.emit({ ruleId: `openapi/${rule}`, kind: "openapi", ...where, ...details });
}

/** The schema of a parameter or header: its `schema`, or the schema of its one `content` entry. */
export function schemaOf(node: Located): Located[] {
  const value = node.value as Json;
  if (value.schema !== undefined) return [at(node, "schema")];
  if (isObject(value.content)) {
    const [mediaType] = Object.keys(value.content);
    if (mediaType !== undefined) return [at(node, "content", mediaType, "schema")];
  }
  return [];
}

export function compareSchemas(
  context: CompareContext,
  side: Side,
  base: Located[],
  head: Located[],
  where: { file: string; pointer: string },
  usage: string,
): void {
  const differences = context.differ.compare(base, head, side, where);
  emitSchemaDifferences(context, "openapi", side, differences, { usage });
}

export function bodyOf(snapshot: ContractSnapshot, operation: Operation): Located | undefined {
  const raw = at(operation.operation, "requestBody");
  if (raw.value === undefined) return undefined;
  const node = snapshot.deref(raw);
  return isObject(node.value) ? node : undefined;
}

export function contentOf(node: Located): Map<string, Located> {
  const content = (node.value as Json).content;
  const result = new Map<string, Located>();
  if (isObject(content))
    for (const mediaType of Object.keys(content)) result.set(mediaType, at(node, "content", mediaType));
  return result;
}
