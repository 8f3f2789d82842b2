import type { ContractKind, Severity } from "../compat/finding.js";

/** One check of `ecom verify`: stable id, the severity its failures carry, and what it checks. */
export interface VerifyRule {
  readonly id: string;
  readonly kind: ContractKind;
  readonly severity: Severity;
  readonly summary: string;
}

const table: [string, ContractKind, Severity, string][] = [
  ["rest-status-undocumented", "openapi", "breaking", "the response status is not one the operation documents"],
  ["rest-server-error", "openapi", "breaking", "a valid request got a 5xx the operation does not document"],
  ["rest-response-schema", "openapi", "breaking", "the response body does not match its documented schema"],
  ["rest-response-header", "openapi", "breaking", "a required response header is missing or does not match its schema"],
  ["rest-problem-json", "openapi", "breaking", "an error response is not application/problem+json as documented"],
  ["rest-content-type", "openapi", "breaking", "the response's media type is not one the status documents"],
  ["rest-location", "openapi", "breaking", "a 201 has no Location, or it names no resource of the contracts"],
  ["rest-bad-input-accepted", "openapi", "breaking", "a request that breaks the request schema got a 2xx"],
  ["rest-bad-input-server-error", "openapi", "breaking", "a request that breaks the request schema got a 5xx"],
  ["rest-not-implemented", "openapi", "warning", "the operation answers 501: not implemented yet, so not verified"],
  ["rpc-unreachable", "proto", "breaking", "a public method is not served, or its answer is not the proto's type"],
  ["rpc-invalid-argument", "proto", "breaking", "an invalid message did not get invalid_argument"],
  [
    "rpc-permission",
    "proto",
    "breaking",
    "an internal-only method did not refuse an outside caller (permission_denied)",
  ],
  ["rpc-not-implemented", "proto", "warning", "the method answers unimplemented: not verified"],
  ["event-invalid", "asyncapi", "breaking", "an event on the stream does not match its AsyncAPI message"],
  ["event-unknown-type", "asyncapi", "breaking", "an event on the stream has a type no AsyncAPI document declares"],
  ["request-limit-reached", "openapi", "info", "--max-requests was reached before every case ran"],
];

/** Every check `ecom verify` reports with. */
export const verifyRules: readonly VerifyRule[] = table.map(([name, kind, severity, summary]) => ({
  id: `verify/${name}`,
  kind,
  severity,
  summary,
}));

const byId = new Map(verifyRules.map((rule) => [rule.id, rule]));

/** The rule with `id`; throws for an id nobody defined. */
export function verifyRuleById(id: string): VerifyRule {
  const rule = byId.get(id);
  if (!rule) throw new Error(`no verify rule ${id}`);
  return rule;
}
