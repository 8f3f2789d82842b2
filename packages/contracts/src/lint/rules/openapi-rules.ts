import {
  child,
  entries,
  isNode,
  mutationMethods,
  type OpenApiOperation,
  openApiOperations,
  operationParameters,
  rootOf,
} from "../contract-walk.js";
import type { LintContext, LintRule } from "../lint-rule.js";

const label = (operation: OpenApiOperation) => `${operation.method.toUpperCase()} ${operation.path}`;

/** `openapi/mutation-requires-auth`: every POST, PUT, PATCH and DELETE requires authentication. */
export const mutationRequiresAuth: LintRule = {
  id: "openapi/mutation-requires-auth",
  severity: "error",
  checks:
    "Every POST, PUT, PATCH and DELETE has a security requirement (its own or the document's), with no empty `{}` alternative; an operation-level `security: []` marks a deliberately public one (login, register, signed webhooks).",
  fix: "Add `security: [{ bearerAuth: [] }]` to the operation, or `security: []` if it must be public.",
  check(context, report) {
    for (const operation of openApiOperations(context)) {
      if (!mutationMethods.has(operation.method) || !isNode(operation.operation.value)) continue;
      const own = operation.operation.value.security;
      if (Array.isArray(own) && own.length === 0) continue;
      const root = rootOf(context, operation.file).value;
      const effective = Array.isArray(own) ? own : isNode(root) ? root.security : undefined;
      const where = Array.isArray(own)
        ? { file: operation.operation.file, pointer: `${operation.operation.pointer}/security` }
        : { file: operation.operation.file, pointer: operation.operation.pointer };
      if (!Array.isArray(effective) || effective.length === 0) {
        report(
          where,
          `${label(operation)} changes state but requires no authentication; add security: [{ bearerAuth: [] }] (or an explicit security: [] if it is deliberately public)`,
        );
      } else if (effective.some((requirement) => isNode(requirement) && Object.keys(requirement).length === 0)) {
        report(
          where,
          `${label(operation)} lists an empty security requirement {}, which makes authentication optional; remove it`,
        );
      }
    }
  },
};

/** The `$ref`-free schema of a response's `application/json` body, if it has one. */
function jsonResponseSchema(context: LintContext, operation: OpenApiOperation, status: string) {
  const response = context.deref(child(operation.operation, "responses", status));
  if (!response) return undefined;
  const mediaType = context.deref(child(response, "content", "application/json"));
  if (!mediaType) return undefined;
  return context.deref(child(mediaType, "schema"));
}

const isArraySchema = (schema: unknown) =>
  isNode(schema) && (schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array")));

/** `openapi/list-paginated`: list endpoints take `cursor` and `limit` and answer `{ items, page }`. */
export const listPaginated: LintRule = {
  id: "openapi/list-paginated",
  severity: "error",
  checks:
    "A GET never answers a bare array; a list (a collection path answering an `items` array, or any body with `page`) answers `{ items, page }` and takes the `cursor` and `limit` query parameters.",
  fix: "Wrap the array as `items` with `page: $ref ../common/schemas.yaml#/PageInfo`, and add the `Cursor` and `Limit` parameters of common/openapi.yaml.",
  check(context, report) {
    for (const operation of openApiOperations(context)) {
      if (operation.method !== "get") continue;
      const schema = jsonResponseSchema(context, operation, "200");
      if (!schema || !isNode(schema.value)) continue;
      if (isArraySchema(schema.value)) {
        report(
          { file: schema.file, pointer: schema.pointer },
          `${label(operation)} answers a bare array; answer { items, page } so the list can be paged`,
        );
        continue;
      }
      // A list is a collection path (not ending in a `{parameter}`) answering an `items` array, or anything that
      // already answers a `page`; a single resource that merely has items (a cart, an order) is not a list.
      const itemsSchema = context.deref(child(schema, "properties", "items"));
      const hasPage = isNode(schema.value.properties) && "page" in schema.value.properties;
      const isCollection = !/\/\{[^/]+\}$/.test(operation.path);
      const hasItems = itemsSchema !== undefined && isArraySchema(itemsSchema.value);
      if (!hasPage && !(hasItems && isCollection)) continue;
      if (!hasPage) {
        report(
          { file: schema.file, pointer: schema.pointer },
          `${label(operation)} lists items without page; add page: { $ref: ../common/schemas.yaml#/PageInfo }`,
        );
      }
      const query = new Set(
        operationParameters(context, operation).flatMap((parameter) =>
          isNode(parameter.value) && parameter.value.in === "query" ? [String(parameter.value.name)] : [],
        ),
      );
      const missing = ["cursor", "limit"].filter((name) => !query.has(name));
      if (missing.length > 0) {
        report(
          { file: operation.operation.file, pointer: operation.operation.pointer },
          `${label(operation)} lists items but does not take ${missing.join(" and ")}; add the ${missing
            .map((name) => `../common/openapi.yaml#/parameters/${name === "cursor" ? "Cursor" : "Limit"}`)
            .join(" and ")} parameter`,
        );
      }
    }
  },
};

/** `openapi/problem-responses`: error responses are `application/problem+json`. */
export const problemResponses: LintRule = {
  id: "openapi/problem-responses",
  severity: "error",
  checks: "Every 4xx, 5xx and `default` response has a body, and it is `application/problem+json` only (RFC 9457).",
  fix: "Reference the shared responses of common/openapi.yaml (`BadRequest`, `NotFound`, …) or give the response an `application/problem+json` body with the `Problem` schema.",
  check(context, report) {
    const seen = new Set<string>();
    for (const operation of openApiOperations(context)) {
      for (const [status, raw] of entries(child(operation.operation, "responses"))) {
        if (!/^([45]\d\d|[45]XX|default)$/.test(status)) continue;
        const response = context.deref(raw);
        if (!response || !isNode(response.value)) continue;
        const key = `${response.file}#${response.pointer}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const content = child(response, "content");
        const types = isNode(content.value) ? Object.keys(content.value) : [];
        if (!types.includes("application/problem+json")) {
          report(
            { file: response.file, pointer: response.pointer },
            `the ${status} response of ${label(operation)} has no application/problem+json body; $ref a response of ../common/openapi.yaml or add one with the Problem schema`,
          );
        }
        for (const type of types) {
          if (type === "application/problem+json") continue;
          report(
            { file: response.file, pointer: `${content.pointer}/${type.replace(/~/g, "~0").replace(/\//g, "~1")}` },
            `the ${status} response of ${label(operation)} is ${type}; errors are application/problem+json only: remove this media type`,
          );
        }
      }
    }
  },
};

function headerRule(options: {
  id: string;
  header: string;
  component: string;
  severity: "error" | "warning";
  applies: (operation: OpenApiOperation) => boolean;
  checks: string;
  why: string;
}): LintRule {
  return {
    id: options.id,
    severity: options.severity,
    checks: options.checks,
    fix: `Add \`$ref: ../common/openapi.yaml#/parameters/${options.component}\` to the operation's parameters.`,
    check(context, report) {
      for (const operation of openApiOperations(context)) {
        if (!options.applies(operation)) continue;
        const has = operationParameters(context, operation).some(
          (parameter) =>
            isNode(parameter.value) &&
            parameter.value.in === "header" &&
            String(parameter.value.name).toLowerCase() === options.header.toLowerCase(),
        );
        if (!has) {
          report(
            { file: operation.operation.file, pointer: operation.operation.pointer },
            `${label(operation)} does not take the ${options.header} header ${options.why}; add $ref: ../common/openapi.yaml#/parameters/${options.component}`,
          );
        }
      }
    },
  };
}

/** `openapi/idempotency-key`: every POST that creates or starts something takes `Idempotency-Key`. */
export const idempotencyKeyHeader = headerRule({
  id: "openapi/idempotency-key",
  header: "Idempotency-Key",
  component: "IdempotencyKey",
  severity: "error",
  // "Every POST that creates something" (common/openapi.yaml): a 201 Created or 202 Accepted answer says so.
  applies: (operation) =>
    operation.method === "post" &&
    isNode(operation.operation.value) &&
    isNode(operation.operation.value.responses) &&
    ("201" in operation.operation.value.responses || "202" in operation.operation.value.responses),
  checks:
    "Every POST that creates or starts something (answers 201 or 202) takes the `Idempotency-Key` header, so a retried request cannot act twice.",
  why: "(a retried request must not create twice)",
});

/** `openapi/correlation-id`: every operation accepts `Correlation-Id`. */
export const correlationIdHeader = headerRule({
  id: "openapi/correlation-id",
  header: "Correlation-Id",
  component: "CorrelationId",
  severity: "warning",
  applies: () => true,
  checks:
    "Every operation accepts the `Correlation-Id` header that ties one business flow's requests, events and logs together.",
  why: "(it ties the requests, events and logs of one flow together)",
});
