import { child, isNode } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import type { ResolvedRef } from "../source/contract-set.js";
import type { VerifyRequest } from "./http-exchange.js";
import type { RestCase } from "./response-check.js";
import type { RestOperation } from "./rest-operations.js";
import { breakBody } from "./schema-breaker.js";
import { type SampleMode, sampleValue } from "./schema-sampler.js";

/** What building a case needs: the contracts, the base URL, credentials, randomness and ids known so far. */
export interface CaseInputs {
  readonly view: LintContext;
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly random: () => number;
  readonly bindings: ReadonlyMap<string, string>;
}

type Json = Record<string, unknown>;

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required: boolean;
  readonly schema: ResolvedRef;
  readonly example: unknown;
}

// Read once per operation, so that the same parameter is the same object (cases add and remove them by identity).
const parameterCache = new WeakMap<RestOperation, Parameter[]>();
const parametersOf = (operation: RestOperation): Parameter[] => {
  const cached = parameterCache.get(operation);
  if (cached) return cached;
  const parameters = readParameters(operation);
  parameterCache.set(operation, parameters);
  return parameters;
};

const readParameters = (operation: RestOperation): Parameter[] =>
  operation.parameters.flatMap((at) => {
    const value = at.value as Json;
    if (!isNode(value)) return [];
    return [
      {
        name: String(value.name),
        in: String(value.in),
        required: value.required === true || value.in === "path",
        schema: child(at, "schema"),
        example: value.example,
      },
    ];
  });

const randomKey = (random: () => number) =>
  `verify-${Array.from({ length: 16 }, () => "0123456789abcdef"[Math.floor(random() * 16)]).join("")}`;

/** A parameter's value: an id known from earlier answers, the parameter's example, or one made from its schema. */
function parameterValue(parameter: Parameter, inputs: CaseInputs, mode: SampleMode, operationId: string): unknown {
  if (parameter.name.toLowerCase() === "idempotency-key") return randomKey(inputs.random);
  // Cursors are opaque: only one a previous page answered (`page.nextCursor`) is valid.
  if (parameter.name === "cursor" && parameter.in === "query") return inputs.bindings.get(`nextCursor ${operationId}`);
  const bound = inputs.bindings.get(parameter.name);
  if (bound !== undefined) return bound;
  if (parameter.example !== undefined && mode !== "min" && mode !== "max") return parameter.example;
  return sampleValue(inputs.view, parameter.schema, { mode, random: inputs.random, bindings: inputs.bindings });
}

/** Build the request for `operation` with the given parameter values and body. */
function buildRequest(
  operation: RestOperation,
  inputs: CaseInputs,
  values: ReadonlyMap<Parameter, unknown>,
  body: unknown,
): VerifyRequest {
  let path = operation.path;
  const query = new URLSearchParams();
  const headers: Record<string, string> = {};
  for (const [parameter, value] of values) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.map(String).join(",") : String(value);
    if (parameter.in === "path") path = path.replace(`{${parameter.name}}`, encodeURIComponent(text));
    // A query array is form-exploded, OpenAPI's default: `?status=PAID&status=FULFILLED`.
    else if (parameter.in === "query" && Array.isArray(value))
      for (const item of value) query.append(parameter.name, String(item));
    else if (parameter.in === "query") query.set(parameter.name, text);
    else if (parameter.in === "header") headers[parameter.name] = text;
  }
  if (operation.secured && inputs.token) headers.Authorization = `Bearer ${inputs.token}`;
  const search = query.toString();
  return {
    method: operation.method,
    url: `${inputs.baseUrl}${path}${search ? `?${search}` : ""}`,
    headers,
    ...(body !== undefined ? { body } : {}),
  };
}

function values(operation: RestOperation, inputs: CaseInputs, mode: SampleMode): Map<Parameter, unknown> {
  const result = new Map<Parameter, unknown>();
  for (const parameter of parametersOf(operation)) {
    if (!parameter.required && mode === "required") continue;
    // Optional headers (Correlation-Id, If-Match) carry no input worth varying.
    if (!parameter.required && parameter.in === "header") continue;
    result.set(parameter, parameterValue(parameter, inputs, mode, operation.operationId));
  }
  return result;
}

/**
 * The valid requests of an operation: the contract's example body, then bodies and parameters made from the
 * schemas with required properties only, with every property, and at the lower and upper bounds. Duplicates are
 * dropped, so an operation without inputs gets one case.
 */
export function positiveCases(operation: RestOperation, inputs: CaseInputs): RestCase[] {
  const cases: RestCase[] = [];
  const seen = new Set<string>();
  const add = (label: string, request: VerifyRequest) => {
    const key = JSON.stringify([request.url.replace(/verify-[0-9a-f]{16}/g, ""), request.body]);
    if (seen.has(key)) return;
    seen.add(key);
    cases.push({ operation, request, kind: "positive", label });
  };
  const sample = (mode: SampleMode) =>
    operation.body
      ? sampleValue(inputs.view, operation.body.schema, { mode, random: inputs.random, bindings: inputs.bindings })
      : undefined;
  if (operation.body?.example !== undefined) {
    // The example's ids may name nothing on this implementation: ids known from earlier answers replace them.
    const example = isNode(operation.body.example)
      ? Object.fromEntries(
          Object.entries(operation.body.example).map(([key, value]) => [key, inputs.bindings.get(key) ?? value]),
        )
      : operation.body.example;
    add("example", buildRequest(operation, inputs, values(operation, inputs, "all"), example));
  }
  const modes: [SampleMode, string][] = [
    ["required", "required properties only"],
    ["all", "every optional property"],
    ["min", "lower bounds"],
    ["max", "upper bounds"],
  ];
  for (const [mode, label] of modes)
    add(label, buildRequest(operation, inputs, values(operation, inputs, mode), sample(mode)));
  return cases;
}

/**
 * Requests that break the request schema: the body broken each way `breakBody` knows, a required query parameter
 * left out, and a bounded or typed query parameter given a value outside its schema.
 */
export function negativeCases(operation: RestOperation, inputs: CaseInputs): RestCase[] {
  const cases: RestCase[] = [];
  const valid = values(operation, inputs, "required");
  if (operation.body) {
    const body = sampleValue(inputs.view, operation.body.schema, {
      mode: "all",
      random: inputs.random,
      bindings: inputs.bindings,
    });
    for (const broken of breakBody(inputs.view, operation.body.schema, body)) {
      cases.push({
        operation,
        kind: "negative",
        label: broken.change,
        request: buildRequest(operation, inputs, valid, broken.body),
      });
    }
  }
  for (const parameter of parametersOf(operation).filter((entry) => entry.in === "query")) {
    const schema = inputs.view.deref(parameter.schema)?.value;
    if (!isNode(schema)) continue;
    const withValue = (value: unknown) => new Map([...valid, [parameter, value]]);
    if (parameter.required) {
      const without = new Map(valid);
      without.delete(parameter);
      cases.push({
        operation,
        kind: "negative",
        label: `required query parameter ${parameter.name} missing`,
        request: buildRequest(operation, inputs, without, undefined),
      });
    }
    if (typeof schema.maximum === "number")
      cases.push({
        operation,
        kind: "negative",
        label: `query parameter ${parameter.name} above its maximum`,
        request: buildRequest(operation, inputs, withValue(schema.maximum + 1), undefined),
      });
    else if (schema.type === "integer" || schema.type === "number")
      cases.push({
        operation,
        kind: "negative",
        label: `query parameter ${parameter.name} not a number`,
        request: buildRequest(operation, inputs, withValue("not-a-number"), undefined),
      });
    else if (Array.isArray(schema.enum))
      cases.push({
        operation,
        kind: "negative",
        label: `query parameter ${parameter.name} outside its enum`,
        request: buildRequest(operation, inputs, withValue("NOT_IN_THE_ENUM"), undefined),
      });
  }
  return cases;
}
