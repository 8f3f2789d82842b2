import type { ErrorObject } from "ajv";
import { describeError, isMissingReference, type SchemaValidators } from "../lint/schema-validators.js";
import { curlLine, type VerifyRequest, type VerifyResponse } from "./http-exchange.js";
import { documentedResponse, type RestOperation } from "./rest-operations.js";
import type { VerifyRecorder } from "./verify-recorder.js";

/** A request of a case and why it was sent: a valid one (`positive`) or one that breaks the schema (`negative`). */
export interface RestCase {
  readonly operation: RestOperation;
  readonly request: VerifyRequest;
  readonly kind: "positive" | "negative";
  /** What the case does: `example`, `required properties only`, `wrong type at /quantity`, … */
  readonly label: string;
}

/** What the checks need besides the case: the validators, the recorder, and a way to follow a Location. */
export interface CheckTools {
  readonly validators: SchemaValidators;
  readonly recorder: VerifyRecorder;
  /** True when `location` (absolute or relative) names a GET operation of the contracts that answers 2xx. */
  readonly resolvesLocation: (location: string) => Promise<boolean>;
  /** True when the contracts have a GET of an item below `path` (`/carts` → `/carts/{cartId}`). */
  readonly hasItemPath: (path: string) => boolean;
}

const mediaTypeOf = (response: VerifyResponse) =>
  (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

const documentedStatuses = (operation: RestOperation) => [...operation.responses.keys()].join(", ");

/** The failure text: operation, path, case, expected and actual, and the request as curl. */
function describe(testCase: RestCase, expected: string, actual: string, pointer?: string): string {
  const { operation } = testCase;
  const where = pointer !== undefined ? ` at ${pointer || "/"}` : "";
  return `${operation.operationId} (${operation.method.toUpperCase()} ${operation.path}), ${testCase.kind} case "${testCase.label}": expected ${expected}, got ${actual}${where}\n    ${curlLine(testCase.request)}`;
}

const firstError = (errors: readonly ErrorObject[] | null | undefined) =>
  (errors ?? []).filter((error) => error.keyword !== "if")[0];

/**
 * Check one answer against the contract. Returns false when the operation is not implemented (501), so that the
 * caller stops sending it more cases.
 */
export async function checkResponse(testCase: RestCase, response: VerifyResponse, tools: CheckTools): Promise<boolean> {
  const { operation } = testCase;
  const place = { file: operation.file, pointer: operation.operation.pointer };
  const fail = (ruleId: string, message: string, pointer = place.pointer) =>
    tools.recorder.fail(ruleId, { file: operation.file, pointer, subject: operation.operationId }, message);
  if (response.status === 501) {
    fail(
      "verify/rest-not-implemented",
      `${operation.operationId} (${operation.method.toUpperCase()} ${operation.path}) answers 501 Not Implemented; nothing of it was verified`,
    );
    return false;
  }
  const documented = documentedResponse(operation, response.status);
  if (testCase.kind === "negative") {
    if (response.status < 300) {
      fail("verify/rest-bad-input-accepted", describe(testCase, "a documented 4xx", String(response.status)));
      return true;
    }
    if (response.status >= 500) {
      fail("verify/rest-bad-input-server-error", describe(testCase, "a documented 4xx", String(response.status)));
      return true;
    }
  }
  if (!documented) {
    const rule = response.status >= 500 ? "verify/rest-server-error" : "verify/rest-status-undocumented";
    fail(
      rule,
      describe(testCase, `one of the documented statuses (${documentedStatuses(operation)})`, String(response.status)),
    );
    return true;
  }
  const responsePointer = documented.at.pointer;
  for (const [name, header] of documented.headers) {
    const value = response.headers.get(name);
    if (value === null) {
      if (header.required)
        fail("verify/rest-response-header", describe(testCase, `header ${name}`, "none"), responsePointer);
      continue;
    }
    const validator = tools.validators.get("2020-12", header.schema);
    if (typeof validator === "function" && header.schema.value !== undefined && !validator(value)) {
      fail(
        "verify/rest-response-header",
        describe(testCase, `header ${name} matching its schema`, JSON.stringify(value)),
        responsePointer,
      );
    }
  }
  // A 201 names what it created (RFC 9110): required when the contract documents the header or the created thing
  // can be read back at an item path; a created thing nobody can GET (a tokenized card) has nothing to name.
  if (response.status === 201 && (documented.headers.has("location") || tools.hasItemPath(operation.path))) {
    const location = response.headers.get("location");
    if (location === null)
      fail("verify/rest-location", describe(testCase, "a Location header on 201", "none"), responsePointer);
    else if (!(await tools.resolvesLocation(location)))
      fail(
        "verify/rest-location",
        describe(
          testCase,
          "a Location naming the created resource (a GET of the contracts that answers 2xx)",
          location,
        ),
        responsePointer,
      );
  }
  if (documented.content.size === 0) return true;
  const mediaType = mediaTypeOf(response);
  const schema = documented.content.get(mediaType);
  if (!schema) {
    const expected = [...documented.content.keys()].join(" or ");
    const rule =
      response.status >= 400 && documented.content.has("application/problem+json")
        ? "verify/rest-problem-json"
        : "verify/rest-content-type";
    fail(rule, describe(testCase, `Content-Type ${expected}`, mediaType || "none"), responsePointer);
    return true;
  }
  if (!/json/.test(mediaType) || schema.value === undefined) return true;
  const validator = tools.validators.get("2020-12", schema);
  if (typeof validator !== "function") {
    if (!isMissingReference(validator))
      fail(
        "verify/rest-response-schema",
        describe(testCase, "a body the schema can check", `a schema that does not compile (${validator.message})`),
      );
    return true;
  }
  if (response.json === undefined) {
    fail(
      "verify/rest-response-schema",
      describe(testCase, `a JSON body (${mediaType})`, JSON.stringify(response.text.slice(0, 80))),
      responsePointer,
    );
  } else if (!validator(response.json)) {
    const error = firstError(validator.errors);
    const pointer = error?.instancePath ?? "";
    fail(
      "verify/rest-response-schema",
      describe(
        testCase,
        `a body matching ${schema.file}#${schema.pointer}`,
        error ? describeError(error) : "a mismatch",
        pointer,
      ),
      responsePointer,
    );
  }
  return true;
}
