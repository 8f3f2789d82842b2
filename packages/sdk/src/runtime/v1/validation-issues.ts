import type { ValidationIssue } from "./rest-operation.js";

/** One way a value misses its contract: a JSON Pointer into it and what is wrong there. */
export interface ContractIssue {
  /** `/body/items/0/quantity`, `/query/limit`, `/header/idempotency-key`, `/path/cartId`, `/payload/orderId`. */
  readonly pointer: string;
  readonly message: string;
}

/**
 * The most issues one answer lists. The validators report every error (ajv `allErrors`), so a large body that is wrong
 * everywhere would otherwise produce an answer as large as itself; past this many, the answer says how many it left out.
 */
export const MAX_LISTED_ISSUES = 20;

/** Escape one property name as a JSON Pointer segment (RFC 6901). */
const segment = (name: unknown) => `/${String(name).replace(/~/g, "~0").replace(/\//g, "~1")}`;

const quoted = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(", ");

/**
 * Turn ajv's errors into issues a person can act on, each with a pointer to where the fix goes: a missing property
 * and a property the contract does not define are pointed at by name (ajv points at their parent), an `enum` lists the
 * values it allows. `if` errors are left out: the branch's own errors say what is wrong. Duplicates (one value reached
 * by two branches of a schema) are listed once. At most `limit` issues are made: a body wrong in every one of its
 * 100,000 properties costs the formatting of a few. This is the one formatter of validator errors: the simulator's
 * REST gateway, the MSW handlers and the SDK's event validation all answer through it.
 */
export function contractIssues(
  errors: readonly ValidationIssue[] | null | undefined,
  base = "",
  limit = Number.POSITIVE_INFINITY,
): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    if (issues.length >= limit) break;
    if (error.keyword === "if") continue;
    const issue = describe(error, base);
    const key = `${issue.pointer}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

function describe(error: ValidationIssue, base: string): ContractIssue {
  const at = `${base}${error.instancePath}`;
  const { params } = error;
  switch (error.keyword) {
    case "required":
      return { pointer: `${at}${segment(params.missingProperty)}`, message: "is required" };
    case "dependentRequired":
      return {
        pointer: `${at}${segment(params.missingProperty)}`,
        message: `is required when ${JSON.stringify(params.property)} is present`,
      };
    case "additionalProperties":
      return {
        pointer: `${at}${segment(params.additionalProperty)}`,
        message: "is not a property the contract defines here; remove it or fix its spelling",
      };
    case "unevaluatedProperties":
      return {
        pointer: `${at}${segment(params.unevaluatedProperty)}`,
        message: "is not a property the contract defines here; remove it or fix its spelling",
      };
    case "enum":
      return { pointer: at, message: `must be one of ${quoted(params.allowedValues as readonly unknown[])}` };
    case "const":
      return { pointer: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { pointer: at, message: error.message ?? `does not satisfy ${error.keyword}` };
  }
}

/**
 * The issues an answer lists: at most {@link MAX_LISTED_ISSUES}, and whether there were more (a list one longer than
 * that, as {@link validateRequest} collects, means there were).
 */
export function listedIssues(issues: readonly ContractIssue[]): { listed: ContractIssue[]; more: boolean } {
  return { listed: issues.slice(0, MAX_LISTED_ISSUES), more: issues.length > MAX_LISTED_ISSUES };
}

/** One line for a problem's `detail`: every listed issue, and that there were more when there were. */
export function issuesSummary(issues: readonly ContractIssue[]): string {
  const { listed, more } = listedIssues(issues);
  const text = listed.map((issue) => `${issue.pointer} ${issue.message}`).join("; ");
  return more ? `${text}; and more problems not listed (an answer lists the first ${MAX_LISTED_ISSUES})` : text;
}
