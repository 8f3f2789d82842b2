import { child, entries, isNode, openApiOperations, operationParameters } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import { contextOfFile, type ResolvedRef } from "../source/contract-set.js";

/** A documented response of an operation: its status key (`201`, `4XX`, `default`), headers and media types. */
export interface DocumentedResponse {
  readonly status: string;
  readonly at: ResolvedRef;
  /** Headers by lower-case name, with whether they are required and where their schema is. */
  readonly headers: ReadonlyMap<string, { readonly required: boolean; readonly schema: ResolvedRef }>;
  /** Media type → where its schema is. */
  readonly content: ReadonlyMap<string, ResolvedRef>;
}

/** A REST operation as verify needs it: where it is, its parameters, body, security and responses. */
export interface RestOperation {
  readonly context: string;
  readonly file: string;
  readonly operationId: string;
  readonly method: string;
  readonly path: string;
  readonly operation: ResolvedRef;
  readonly parameters: readonly ResolvedRef[];
  /** The JSON request body's schema, and whether a body is required. */
  readonly body: { readonly schema: ResolvedRef; readonly required: boolean; readonly example: unknown } | undefined;
  readonly secured: boolean;
  readonly responses: ReadonlyMap<string, DocumentedResponse>;
  /** Whether the operation is an event stream or a WebSocket (answered over a long-lived connection). */
  readonly streaming: boolean;
}

/** The example of a media type: `example`, or the first of `examples` (following `$ref`s). */
function mediaExample(view: LintContext, media: ResolvedRef): unknown {
  if (!isNode(media.value)) return undefined;
  if ("example" in media.value) return media.value.example;
  for (const [, raw] of entries(child(media, "examples"))) {
    const example = view.deref(raw);
    if (isNode(example?.value) && "value" in example.value) return example.value.value;
  }
  return undefined;
}

function responsesOf(view: LintContext, operation: ResolvedRef): Map<string, DocumentedResponse> {
  const result = new Map<string, DocumentedResponse>();
  for (const [status, raw] of entries(child(operation, "responses"))) {
    const response = view.deref(raw);
    if (!response || !isNode(response.value)) continue;
    const headers = new Map<string, { required: boolean; schema: ResolvedRef }>();
    for (const [name, rawHeader] of entries(child(response, "headers"))) {
      const header = view.deref(rawHeader);
      if (!header || !isNode(header.value)) continue;
      headers.set(name.toLowerCase(), { required: header.value.required === true, schema: child(header, "schema") });
    }
    const content = new Map<string, ResolvedRef>();
    for (const [mediaType, media] of entries(child(response, "content")))
      content.set(mediaType, child(media, "schema"));
    result.set(status.toUpperCase(), { status: status.toUpperCase(), at: response, headers, content });
  }
  return result;
}

/** Every REST operation of the contracts, optionally only those of `contexts`. */
export function restOperations(view: LintContext, contexts?: ReadonlySet<string>): RestOperation[] {
  const operations: RestOperation[] = [];
  for (const found of openApiOperations(view)) {
    const context = contextOfFile(found.file);
    if (contexts && !contexts.has(context)) continue;
    const value = found.operation.value as Record<string, unknown>;
    const rootSecurity = (view.document(found.file)?.value as Record<string, unknown> | undefined)?.security;
    const security = Array.isArray(value.security) ? value.security : Array.isArray(rootSecurity) ? rootSecurity : [];
    const requestBody = view.deref(child(found.operation, "requestBody"));
    const media = requestBody ? child(requestBody, "content", "application/json") : undefined;
    const responses = responsesOf(view, found.operation);
    const streaming = [...responses.values()].some(
      (response) => response.content.has("text/event-stream") || response.status === "101",
    );
    operations.push({
      context,
      file: found.file,
      operationId: String(value.operationId ?? `${found.method} ${found.path}`),
      method: found.method,
      path: found.path,
      operation: found.operation,
      parameters: operationParameters(view, found),
      body:
        media && isNode(media.value)
          ? {
              schema: child(media, "schema"),
              required: isNode(requestBody?.value) && requestBody.value.required === true,
              example: mediaExample(view, media),
            }
          : undefined,
      secured: security.some((requirement) => isNode(requirement) && Object.keys(requirement).length > 0),
      responses,
      streaming,
    });
  }
  return operations;
}

/** The documented response for `status`: exact, then its class (`4XX`), then `default`. */
export function documentedResponse(operation: RestOperation, status: number): DocumentedResponse | undefined {
  return (
    operation.responses.get(String(status)) ??
    operation.responses.get(`${String(status)[0]}XX`) ??
    operation.responses.get("DEFAULT")
  );
}
