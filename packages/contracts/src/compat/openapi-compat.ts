import { toPointer } from "../source/yaml-document.js";
import type { CompareContext } from "./compare-context.js";
import type { ContractSnapshot } from "./contract-snapshot.js";
import { isObject, type Json } from "./json-object.js";
import {
  at,
  bodyOf,
  compareSchemas,
  contentOf,
  emit,
  label,
  location,
  type Operation,
  removedLocation,
} from "./openapi-nodes.js";
import { compareOperation } from "./openapi-operation-compat.js";

const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

const templateOf = (path: string) => path.replace(/\{[^}]*\}/g, "{}");

function collectOperations(
  snapshot: ContractSnapshot,
  files: readonly string[],
  section: "paths" | "webhooks" = "paths",
): Operation[] {
  const operations: Operation[] = [];
  for (const file of files) {
    const document = snapshot.document(file);
    if (!document || !isObject(document.value)) continue;
    const root = document.value;
    const paths = root[section];
    if (!isObject(paths)) continue;
    for (const path of Object.keys(paths)) {
      const pathItem = snapshot.deref({ file, pointer: toPointer([section, path]), value: paths[path] });
      if (!isObject(pathItem.value)) continue;
      for (const method of methods) {
        if (!isObject(pathItem.value[method])) continue;
        operations.push({
          file,
          path,
          template: templateOf(path),
          method,
          pathItem,
          operation: at(pathItem, method),
          root,
        });
      }
    }
  }
  return operations;
}

/**
 * Compare the REST surface of both sides. Operations are matched across all OpenAPI files by method and path
 * template (parameter names do not matter), since every context serves on one port: moving a path between
 * files breaks nobody.
 */
export function compareOpenApi(context: CompareContext): void {
  const files = [...new Set([...context.base.paths("openapi"), ...context.head.paths("openapi")])].filter((file) =>
    context.dirty.has(file),
  );
  if (files.length === 0) return;
  const before = collectOperations(context.base, files);
  const after = collectOperations(context.head, files);
  const byTemplate = (operations: Operation[]) => {
    const map = new Map<string, Operation[]>();
    for (const operation of operations)
      map.set(operation.template, [...(map.get(operation.template) ?? []), operation]);
    return map;
  };
  const basePaths = byTemplate(before);
  const headPaths = byTemplate(after);
  const pairedHead = new Set<string>();

  for (const [template, baseOperations] of basePaths) {
    let headOperations = headPaths.get(template);
    if (!headOperations) {
      const extended = [...headPaths.keys()].find(
        (candidate) =>
          !basePaths.has(candidate) && !pairedHead.has(candidate) && extendsWithParameters(candidate, template),
      );
      if (extended !== undefined) {
        headOperations = headPaths.get(extended) ?? [];
        pairedHead.add(extended);
        const first = headOperations[0];
        if (first) {
          emit(context, "request-path-parameter-added", location(first.pathItem), {
            message: `${first.path} replaces ${baseOperations[0]?.path}: the new path parameter means old URLs no longer match; serve both paths until clients have moved`,
          });
        }
      }
    }
    if (!headOperations) {
      const path = baseOperations[0]?.path ?? template;
      const live = baseOperations.filter((operation) => !isDeprecated(operation));
      const where = removedLocation(context, baseOperations[0]?.file ?? "", toPointer(["paths", path]));
      if (live.length > 0) {
        emit(context, "path-removed", where, {
          message: `path ${path} removed with ${live.map((operation) => operation.method.toUpperCase()).join(", ")}, never deprecated; deprecate operations first and remove them in a later release`,
        });
      } else {
        emit(context, "deprecated-path-removed", where, {
          message: `path ${path} removed; all its operations were deprecated`,
        });
      }
      continue;
    }
    for (const baseOperation of baseOperations) {
      const headOperation = headOperations.find((operation) => operation.method === baseOperation.method);
      if (headOperation) compareOperation(context, baseOperation, headOperation);
      else {
        const where = removedLocation(context, baseOperation.file, baseOperation.operation.pointer);
        if (isDeprecated(baseOperation)) {
          emit(context, "deprecated-operation-removed", where, {
            message: `${label(baseOperation)} removed; it was deprecated`,
          });
        } else {
          emit(context, "operation-removed", where, {
            message: `${label(baseOperation)} removed without being deprecated first; mark it deprecated: true and remove it in a later release`,
          });
        }
      }
    }
    for (const headOperation of headOperations) {
      if (!baseOperations.some((operation) => operation.method === headOperation.method)) {
        emit(context, "operation-added", location(headOperation.operation), {
          message: `${label(headOperation)} added`,
        });
      }
    }
  }
  for (const [template, headOperations] of headPaths) {
    if (basePaths.has(template) || pairedHead.has(template)) continue;
    const first = headOperations[0];
    if (first) emit(context, "path-added", location(first.pathItem), { message: `path ${first.path} added` });
  }
  compareWebhooks(context, files);
}

/**
 * Webhooks run the other way: the platform sends the request and the partner's application receives it. So a
 * webhook's request body follows the response rules (an optional property added is a warning for strict
 * receivers, a required one removed breaks them), keyed by webhook name and method.
 */
function compareWebhooks(context: CompareContext, files: readonly string[]): void {
  const before = collectOperations(context.base, files, "webhooks");
  const after = collectOperations(context.head, files, "webhooks");
  const same = (a: Operation) => (b: Operation) => a.path === b.path && a.method === b.method;
  for (const base of before) {
    const head = after.find(same(base));
    if (!head) {
      emit(context, "webhook-removed", removedLocation(context, base.file, base.operation.pointer), {
        message: `webhook ${base.path} (${base.method.toUpperCase()}) removed; receivers that rely on it get nothing more`,
      });
      continue;
    }
    const beforeBody = bodyOf(context.base, base);
    const afterBody = bodyOf(context.head, head);
    if (!beforeBody || !afterBody) continue;
    const afterContent = contentOf(afterBody);
    for (const [mediaType, media] of contentOf(beforeBody)) {
      const now = afterContent.get(mediaType);
      if (!now) continue;
      compareSchemas(
        context,
        "response",
        [at(media, "schema")],
        [at(now, "schema")],
        at(now, "schema"),
        `webhook ${head.path} payload (${mediaType}), read by the receiving application`,
      );
    }
  }
  for (const head of after) {
    if (!before.some(same(head)))
      emit(context, "webhook-added", location(head.operation), { message: `webhook ${head.path} added` });
  }
}

/**
 * True when `longer` is `shorter` with segments inserted, at least one of them a path parameter:
 * `/stores/{}/carts/{}` extends `/carts/{}`. Old URLs do not match the new path.
 */
function extendsWithParameters(longer: string, shorter: string): boolean {
  const long = longer.split("/");
  const short = shorter.split("/");
  if (long.length <= short.length) return false;
  let index = 0;
  let parameters = 0;
  for (const segment of long) {
    if (index < short.length && segment === short[index]) index++;
    else if (segment === "{}") parameters++;
  }
  return index === short.length && parameters > 0;
}

const isDeprecated = (operation: Operation) => (operation.operation.value as Json).deprecated === true;
