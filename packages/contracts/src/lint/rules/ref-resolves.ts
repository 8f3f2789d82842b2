import { toPointer } from "../../source/yaml-document.js";
import { isNode } from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

/**
 * Visit every `$ref` of a document, skipping example data (which may legitimately hold a `$ref` key as a value).
 */
function* references(value: unknown, path: (string | number)[] = []): Generator<{ ref: string; pointer: string }> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* references(item, [...path, index]);
    return;
  }
  if (!isNode(value)) return;
  if (typeof value.$ref === "string") yield { ref: value.$ref, pointer: toPointer([...path, "$ref"]) };
  for (const [key, item] of Object.entries(value)) {
    if (key === "$ref" || key === "example") continue;
    if (key === "examples" && Array.isArray(item)) continue;
    if (key === "value" && path.at(-2) === "examples") continue;
    yield* references(item, [...path, key]);
  }
}

/** `ref/resolves`: every `$ref` in the contracts points at a file of the set and a node in it. */
export const refResolves: LintRule = {
  id: "ref/resolves",
  severity: "error",
  checks:
    "Every `$ref` names a file of the contract set (relative to the referring file) and a node that exists in it.",
  fix: "Fix the path or the JSON Pointer after `#`, or add the missing component; remote URLs are not allowed.",
  check(context, report) {
    const files = [...context.set.openapi.keys(), ...context.set.asyncapi.keys(), ...context.set.shared.keys()];
    for (const file of files) {
      for (const { ref, pointer } of references(context.document(file)?.value)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
          report(
            { file, pointer },
            `$ref ${ref} leaves the contract set; the contracts are self-contained: put the shared part in common/ and reference it by relative path`,
          );
          continue;
        }
        const resolved = context.resolve(file, ref);
        if (!resolved) {
          report(
            { file, pointer },
            `$ref ${ref}: no such file in the contracts; fix the path (it is relative to ${file})`,
          );
        } else if (resolved.value === undefined) {
          report(
            { file, pointer },
            `$ref ${ref}: ${resolved.file} has nothing at ${resolved.pointer || "/"}; fix the pointer or add the component`,
          );
        }
      }
    }
  },
};
