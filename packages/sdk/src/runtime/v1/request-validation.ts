import type { CompiledValidator, RestOperationInfo, RestValidators } from "./rest-operation.js";
import {
  type ContractIssue,
  contractIssues,
  issuesSummary,
  listedIssues,
  MAX_LISTED_ISSUES,
} from "./validation-issues.js";

export type { ContractIssue } from "./validation-issues.js";

/** A request reduced to what the contract constrains. Header names lower-case; query values as received. */
export interface RequestParts {
  readonly path: Record<string, string>;
  readonly query: Record<string, string | string[]>;
  readonly header: Record<string, string>;
  /** The parsed JSON body; undefined when there is none. */
  readonly body: unknown;
}

/**
 * One more than an answer lists, so that {@link validationProblem} can tell there were more without formatting them
 * all (a body wrong in each of its 100,000 properties).
 */
const COLLECTED = MAX_LISTED_ISSUES + 1;

const issues = (validator: CompiledValidator, base: string): ContractIssue[] =>
  contractIssues(validator.errors, base, COLLECTED);

/**
 * Check a request against its operation's contract with its context's validators (a binding's, once loaded), which
 * report every error at once (this collects one more than an answer lists). Parameters are coerced in place (`"20"` becomes `20` where the
 * schema says integer), so callers read typed values from `parts` afterwards.
 */
export function validateRequest(
  validators: RestValidators,
  operation: RestOperationInfo,
  parts: RequestParts,
): ContractIssue[] {
  const found: ContractIssue[] = [];
  const parameters = validators.parameterValidators[`${operation.operationId}_params`];
  if (parameters && !parameters(parts)) found.push(...issues(parameters, ""));
  if (found.length >= COLLECTED) return found;
  if (operation.requestBody) {
    const validator = validators.bodyValidators[`${operation.operationId}_body`];
    if (parts.body === undefined) {
      if (operation.requestBody.required)
        found.push({ pointer: "/body", message: `a ${operation.requestBody.contentType} body is required` });
    } else if (validator && !validator(parts.body)) {
      found.push(...issues(validator, "/body"));
    }
  } else if (parts.body !== undefined) {
    found.push({ pointer: "/body", message: "this operation takes no body" });
  }
  return found;
}

/** Check a response body against the operation's schema for its status (or `default`); empty when it matches. */
export function validateResponse(
  validators: RestValidators,
  operation: RestOperationInfo,
  status: number,
  body: unknown,
): ContractIssue[] {
  const declared =
    operation.responses.find((response) => response.status === String(status)) ??
    operation.responses.find((response) => response.status === "default");
  if (!declared)
    return [{ pointer: "/status", message: `status ${status} is not declared by ${operation.operationId}` }];
  if (!declared.hasSchema)
    return body === undefined
      ? []
      : [{ pointer: "/body", message: `status ${status} of ${operation.operationId} has no body` }];
  const validator = validators.bodyValidators[`${operation.operationId}_${declared.status}`];
  return validator && !validator(body) ? issues(validator, "/body") : [];
}

/**
 * A problem+json body (RFC 9457) for a request that misses its contract: code `validation`, one entry per issue, at
 * most `MAX_LISTED_ISSUES` of them (the detail says when there were more).
 */
export function validationProblem(operation: RestOperationInfo, found: readonly ContractIssue[]) {
  return {
    type: "https://ecom.dev/problems/validation",
    title: "The request does not match the contract",
    status: 400,
    code: "validation",
    detail: `${operation.operationId}: ${issuesSummary(found)}`,
    errors: listedIssues(found).listed.map((issue) => ({ pointer: issue.pointer, message: issue.message })),
  };
}

/**
 * Order operations so that a literal path segment is tried before a parameter in the same place
 * (`/customers/me` before `/customers/{customerId}`), as a router that takes the first match needs.
 */
export function byPathSpecificity(a: RestOperationInfo, b: RestOperationInfo): number {
  const left = a.path.split("/");
  const right = b.path.split("/");
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    const x = left[index];
    const y = right[index];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xParam = x.startsWith("{");
    const yParam = y.startsWith("{");
    if (xParam !== yParam) return xParam ? 1 : -1;
    if (!xParam && x !== y) return x.localeCompare(y);
  }
  return a.method.localeCompare(b.method);
}
