import { toPointer } from "../source/yaml-document.js";
import type { CompareContext } from "./compare-context.js";
import type { ContractSnapshot, Located } from "./contract-snapshot.js";
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
  schemaOf,
} from "./openapi-nodes.js";

export function compareOperation(context: CompareContext, base: Operation, head: Operation): void {
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
      const node = snapshot.deref(raw);
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
    const node = snapshot.deref(at(operation.operation, "responses", status));
    if (isObject(node.value)) result.set(status.toUpperCase(), node);
  }
  return result;
}

function headersOf(snapshot: ContractSnapshot, response: Located): Map<string, { name: string; node: Located }> {
  const result = new Map<string, { name: string; node: Located }>();
  const headers = (response.value as Json).headers;
  if (!isObject(headers)) return result;
  for (const name of Object.keys(headers)) {
    const node = snapshot.deref(at(response, "headers", name));
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
