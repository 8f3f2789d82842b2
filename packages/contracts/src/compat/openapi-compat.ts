import { toPointer } from "../source/yaml-document.js";
import { type CompareContext, emitSchemaDifferences } from "./compare-context.js";
import type { ContractSnapshot, Located } from "./contract-snapshot.js";
import type { Side } from "./rule-catalog.js";

const methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** One operation of one side: where it is and what its path item and document say around it. */
interface Operation {
  readonly file: string;
  /** The path as written (`/carts/{cartId}`) and with parameter names blanked (`/carts/{}`), for matching. */
  readonly path: string;
  readonly template: string;
  readonly method: string;
  readonly pathItem: Located;
  readonly operation: Located;
  readonly root: Record<string, unknown>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const at = (node: Located, ...segments: (string | number)[]): Located => ({
  file: node.file,
  pointer: node.pointer + toPointer(segments),
  value: segments.reduce<unknown>(
    (value, segment) => (isObject(value) || Array.isArray(value) ? (value as Json)[segment] : undefined),
    node.value,
  ),
});

/** Follow a `$ref` (to a parameter, response, header, request body) until a real object. */
function deref(snapshot: ContractSnapshot, node: Located): Located {
  let current = node;
  for (let hops = 0; hops < 32; hops++) {
    const ref = isObject(current.value) ? current.value.$ref : undefined;
    if (typeof ref !== "string") return current;
    const target = snapshot.resolve(current.file, ref);
    if (!target) return current;
    current = target;
  }
  return current;
}

const templateOf = (path: string) => path.replace(/\{[^}]*\}/g, "{}");
const label = (operation: Operation) => `${operation.method.toUpperCase()} ${operation.path}`;

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
      const pathItem = deref(snapshot, { file, pointer: toPointer([section, path]), value: paths[path] });
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

interface Where {
  readonly side: "base" | "head";
  readonly file: string;
  readonly pointer: string;
}

const location = (node: { file: string; pointer: string }): Where => ({
  side: "head",
  file: node.file,
  pointer: node.pointer,
});

/** Where to report something removed: in the head file when it still exists, else where it was in the base. */
function removedLocation(context: CompareContext, file: string, pointer: string): Where {
  return { side: context.head.texts.has(file) ? "head" : "base", file, pointer };
}

function emit(context: CompareContext, rule: string, where: Where, details: { message: string; usage?: string }): void {
  context.emit({ ruleId: `openapi/${rule}`, kind: "openapi", ...where, ...details });
}

function compareOperation(context: CompareContext, base: Operation, head: Operation): void {
  const name = label(head);
  compareSecurity(context, base, head, name);
  compareParameters(context, base, head, name);
  compareRequestBody(context, base, head, name);
  compareResponses(context, base, head, name);
}

type Requirement = Record<string, readonly string[]>;

function securityOf(operation: Operation): { requirements: Requirement[]; pointer: string } {
  const own = (operation.operation.value as Json).security;
  const list = Array.isArray(own) ? own : Array.isArray(operation.root.security) ? operation.root.security : [];
  const pointer = Array.isArray(own) ? `${operation.operation.pointer}/security` : "/security";
  const requirements = list
    .filter(isObject)
    .map((entry) =>
      Object.fromEntries(
        Object.entries(entry).map(([scheme, scopes]) => [scheme, Array.isArray(scopes) ? scopes.map(String) : []]),
      ),
    );
  // No requirement at all means anonymous access, the same as one empty requirement.
  return { requirements: requirements.length === 0 ? [{}] : requirements, pointer };
}

/** Whether a client that satisfies `held` also satisfies one of `wanted` (each a set of schemes with scopes). */
const satisfies = (held: Requirement, wanted: readonly Requirement[]) =>
  wanted.some((requirement) =>
    Object.entries(requirement).every(([scheme, scopes]) => {
      const have = held[scheme];
      return have !== undefined && scopes.every((scope) => have.includes(scope));
    }),
  );

const describeSecurity = (requirements: readonly Requirement[]) =>
  requirements
    .map((requirement) =>
      Object.keys(requirement).length === 0
        ? "anonymous"
        : Object.entries(requirement)
            .map(([scheme, scopes]) => (scopes.length > 0 ? `${scheme}(${scopes.join(" ")})` : scheme))
            .join(" + "),
    )
    .join(" or ");

function compareSecurity(context: CompareContext, base: Operation, head: Operation, name: string): void {
  const before = securityOf(base);
  const after = securityOf(head);
  const where = location({ file: head.file, pointer: after.pointer });
  const stranded = before.requirements.filter((requirement) => !satisfies(requirement, after.requirements));
  if (stranded.length > 0) {
    emit(context, "security-added", where, {
      message: `${name}: now requires ${describeSecurity(after.requirements)}; clients that send ${describeSecurity(stranded)} are refused`,
    });
  } else if (after.requirements.some((requirement) => !satisfies(requirement, before.requirements))) {
    emit(context, "security-removed", where, {
      message: `${name}: now also accepts ${describeSecurity(after.requirements)} (was ${describeSecurity(before.requirements)})`,
    });
  }
}

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly node: Located;
  readonly raw: Located;
}

function parametersOf(snapshot: ContractSnapshot, operation: Operation): Map<string, Parameter> {
  const pathNames = [...operation.path.matchAll(/\{([^}]*)\}/g)].map((match) => match[1]);
  const result = new Map<string, Parameter>();
  for (const owner of [operation.pathItem, operation.operation]) {
    const list = (owner.value as Json).parameters;
    if (!Array.isArray(list)) continue;
    list.forEach((_entry, index) => {
      const raw = at(owner, "parameters", index);
      const node = deref(snapshot, raw);
      if (!isObject(node.value)) return;
      const name = String(node.value.name ?? "");
      const where = String(node.value.in ?? "");
      // Path parameters are matched by position, so renaming {id} to {cartId} changes nothing for clients;
      // header names are case-insensitive.
      const key =
        where === "path"
          ? `path:${pathNames.indexOf(name)}`
          : `${where}:${where === "header" ? name.toLowerCase() : name}`;
      result.set(key, { name, in: where, node, raw });
    });
  }
  return result;
}

/** The schema of a parameter or header: its `schema`, or the schema of its one `content` entry. */
function schemaOf(node: Located): Located[] {
  const value = node.value as Json;
  if (value.schema !== undefined) return [at(node, "schema")];
  if (isObject(value.content)) {
    const [mediaType] = Object.keys(value.content);
    if (mediaType !== undefined) return [at(node, "content", mediaType, "schema")];
  }
  return [];
}

function compareSchemas(
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

function compareParameters(context: CompareContext, base: Operation, head: Operation, name: string): void {
  const before = parametersOf(context.base, base);
  const after = parametersOf(context.head, head);
  for (const [key, parameter] of before) {
    if (after.has(key) || parameter.in === "path") continue;
    emit(
      context,
      "request-parameter-removed",
      location({ file: head.file, pointer: `${head.operation.pointer}/parameters` }),
      {
        message: `${name}: ${parameter.in} parameter ${parameter.name} removed; old clients still send it`,
      },
    );
  }
  for (const [key, parameter] of after) {
    const where = location(parameter.raw);
    const required = (parameter.node.value as Json).required === true || parameter.in === "path";
    const previous = before.get(key);
    if (!previous) {
      if (parameter.in === "path") {
        // A path that gained a parameter segment was reported when the paths were paired.
        if (base.template === head.template) {
          emit(context, "request-path-parameter-added", where, {
            message: `${name}: path parameter ${parameter.name} added`,
          });
        }
      } else if (required) {
        emit(context, "request-required-parameter-added", where, {
          message: `${name}: required ${parameter.in} parameter ${parameter.name} added; old clients do not send it (make it optional)`,
        });
      } else {
        emit(context, "request-parameter-added", where, {
          message: `${name}: optional ${parameter.in} parameter ${parameter.name} added`,
        });
      }
      continue;
    }
    const wasRequired = (previous.node.value as Json).required === true || previous.in === "path";
    if (!wasRequired && required) {
      emit(context, "request-parameter-became-required", where, {
        message: `${name}: ${parameter.in} parameter ${parameter.name} is now required; old clients may not send it`,
      });
    }
    if (wasRequired && !required) {
      emit(context, "request-parameter-became-optional", where, {
        message: `${name}: ${parameter.in} parameter ${parameter.name} is now optional`,
      });
    }
    compareSchemas(
      context,
      "request",
      schemaOf(previous.node),
      schemaOf(parameter.node),
      schemaOf(parameter.node)[0] ?? parameter.node,
      `${name} ${parameter.in} parameter ${parameter.name}`,
    );
  }
}

function bodyOf(snapshot: ContractSnapshot, operation: Operation): Located | undefined {
  const raw = at(operation.operation, "requestBody");
  if (raw.value === undefined) return undefined;
  const node = deref(snapshot, raw);
  return isObject(node.value) ? node : undefined;
}

function contentOf(node: Located): Map<string, Located> {
  const content = (node.value as Json).content;
  const result = new Map<string, Located>();
  if (isObject(content))
    for (const mediaType of Object.keys(content)) result.set(mediaType, at(node, "content", mediaType));
  return result;
}

function compareRequestBody(context: CompareContext, base: Operation, head: Operation, name: string): void {
  const before = bodyOf(context.base, base);
  const after = bodyOf(context.head, head);
  const bodyAt = { file: head.file, pointer: `${head.operation.pointer}/requestBody` };
  if (!before && !after) return;
  if (before && !after) {
    emit(context, "request-body-removed", location(bodyAt), {
      message: `${name}: request body removed; old clients still send one`,
    });
    return;
  }
  if (!after) return;
  const required = (after.value as Json).required === true;
  if (!before) {
    if (required)
      emit(context, "request-required-body-added", location(bodyAt), {
        message: `${name}: required request body added`,
      });
    else emit(context, "request-body-added", location(bodyAt), { message: `${name}: optional request body added` });
    return;
  }
  const wasRequired = (before.value as Json).required === true;
  if (!wasRequired && required) {
    emit(context, "request-body-became-required", location(bodyAt), {
      message: `${name}: request body is now required`,
    });
  }
  if (wasRequired && !required) {
    emit(context, "request-body-became-optional", location(bodyAt), {
      message: `${name}: request body is now optional`,
    });
  }
  const beforeContent = contentOf(before);
  const afterContent = contentOf(after);
  for (const [mediaType, media] of beforeContent) {
    const now = afterContent.get(mediaType);
    if (!now) {
      emit(
        context,
        "request-media-type-removed",
        location({ file: after.file, pointer: `${after.pointer}${toPointer(["content", mediaType])}` }),
        {
          message: `${name}: request media type ${mediaType} no longer accepted`,
        },
      );
      continue;
    }
    compareSchemas(
      context,
      "request",
      [at(media, "schema")],
      [at(now, "schema")],
      at(now, "schema"),
      `${name} request body (${mediaType})`,
    );
  }
  for (const [mediaType, media] of afterContent) {
    if (!beforeContent.has(mediaType)) {
      emit(context, "request-media-type-added", location(media), {
        message: `${name}: request media type ${mediaType} added`,
      });
    }
  }
}

function responsesOf(snapshot: ContractSnapshot, operation: Operation): Map<string, Located> {
  const result = new Map<string, Located>();
  const responses = (operation.operation.value as Json).responses;
  if (!isObject(responses)) return result;
  for (const status of Object.keys(responses)) {
    const node = deref(snapshot, at(operation.operation, "responses", status));
    if (isObject(node.value)) result.set(status.toUpperCase(), node);
  }
  return result;
}

function headersOf(snapshot: ContractSnapshot, response: Located): Map<string, { name: string; node: Located }> {
  const result = new Map<string, { name: string; node: Located }>();
  const headers = (response.value as Json).headers;
  if (!isObject(headers)) return result;
  for (const name of Object.keys(headers)) {
    const node = deref(snapshot, at(response, "headers", name));
    if (isObject(node.value)) result.set(name.toLowerCase(), { name, node });
  }
  return result;
}

function compareResponses(context: CompareContext, base: Operation, head: Operation, name: string): void {
  const before = responsesOf(context.base, base);
  const after = responsesOf(context.head, head);
  const responsesAt = (status: string) => ({
    file: head.file,
    pointer: `${head.operation.pointer}${toPointer(["responses", status])}`,
  });
  for (const [status, response] of before) {
    const now = after.get(status);
    if (!now) {
      if (/^2/.test(status)) {
        emit(context, "response-success-status-removed", location(responsesAt(status)), {
          message: `${name}: success response ${status} removed; clients expecting it break`,
        });
      } else {
        emit(context, "response-status-removed", location(responsesAt(status)), {
          message: `${name}: response ${status} removed`,
        });
      }
      continue;
    }
    const beforeContent = contentOf(response);
    const afterContent = contentOf(now);
    for (const [mediaType, media] of beforeContent) {
      const current = afterContent.get(mediaType);
      if (!current) {
        emit(
          context,
          "response-media-type-removed",
          location({ file: now.file, pointer: `${now.pointer}${toPointer(["content", mediaType])}` }),
          {
            message: `${name}: response ${status} no longer returns ${mediaType}`,
          },
        );
        continue;
      }
      compareSchemas(
        context,
        "response",
        [at(media, "schema")],
        [at(current, "schema")],
        at(current, "schema"),
        `${name} response ${status} (${mediaType})`,
      );
    }
    for (const [mediaType, media] of afterContent) {
      if (!beforeContent.has(mediaType)) {
        emit(context, "response-media-type-added", location(media), {
          message: `${name}: response ${status} may now return ${mediaType}`,
        });
      }
    }
    compareHeaders(context, response, now, `${name} response ${status}`);
  }
  for (const [status, response] of after) {
    if (!before.has(status)) {
      emit(context, "response-status-added", location(response), { message: `${name}: response ${status} added` });
    }
  }
}

function compareHeaders(context: CompareContext, base: Located, head: Located, name: string): void {
  const before = headersOf(context.base, base);
  const after = headersOf(context.head, head);
  for (const [key, header] of before) {
    const now = after.get(key);
    const required = (header.node.value as Json).required === true;
    if (!now) {
      const where = location({ file: head.file, pointer: `${head.pointer}${toPointer(["headers", header.name])}` });
      if (required)
        emit(context, "response-required-header-removed", where, {
          message: `${name}: required header ${header.name} removed`,
        });
      else emit(context, "response-header-removed", where, { message: `${name}: header ${header.name} removed` });
      continue;
    }
    if (required && (now.node.value as Json).required !== true) {
      emit(context, "response-header-became-optional", location(now.node), {
        message: `${name}: header ${header.name} is no longer always sent`,
      });
    }
    compareSchemas(
      context,
      "response",
      schemaOf(header.node),
      schemaOf(now.node),
      schemaOf(now.node)[0] ?? now.node,
      `${name} header ${header.name}`,
    );
  }
  for (const [key, header] of after) {
    if (!before.has(key))
      emit(context, "response-header-added", location(header.node), {
        message: `${name}: header ${header.name} added`,
      });
  }
}
