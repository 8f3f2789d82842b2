/** How much a change matters to the clients and consumers of a contract. */
export type Severity = "breaking" | "warning" | "info";

/** Which kind of contract a finding is about. */
export type ContractKind = "openapi" | "asyncapi" | "proto" | "graphql" | "soap";

/** One classified change between two versions of the contracts. */
export interface CompatFinding {
  /**
   * Stable id, `<kind>/<rule>`: `openapi/request-property-became-required`, `proto/FIELD_NO_DELETE`,
   * `graphql/FIELD_REMOVED` (graphql-js's change types).
   */
  readonly ruleId: string;
  readonly severity: Severity;
  readonly kind: ContractKind;
  /** The file, as a path a reader can open (relative to where the command ran, e.g. `contracts/openapi/cart.yaml`). */
  readonly file: string;
  /** 1-based line in `file`; for something removed, the line of its nearest surviving ancestor. */
  readonly line: number;
  /**
   * Where in `file`: a JSON Pointer for YAML contracts (for something removed, where it was), the fully qualified
   * element name for protobuf (`ecom.inventory.v1.InventoryService.QueryStock`), the schema coordinate for GraphQL
   * (`Query.products`), the WSDL item for SOAP (`ProcessPaymentRequest.card`, `PortType.Operation`), or "" when the
   * whole file is meant.
   */
  readonly pointer: string;
  readonly message: string;
  /** Contexts that, per `contexts.yaml`, subscribe to the changed event, send the changed command or call the changed RPC. */
  readonly consumers: readonly string[];
}

/** How many findings there are of each severity. */
export interface CompatSummary {
  readonly breaking: number;
  readonly warning: number;
  readonly info: number;
}

/** The result of comparing two versions of the contracts. */
export interface CompatReport {
  /** Sorted: breaking first, then warnings, then info; within a severity by file, line and rule. */
  readonly findings: readonly CompatFinding[];
  readonly summary: CompatSummary;
}

const rank: Record<Severity, number> = { breaking: 0, warning: 1, info: 2 };

/** True when `severity` is at least as serious as `threshold` (`breaking` reaches `warning`, not the reverse). */
export function reaches(severity: Severity, threshold: Severity): boolean {
  return rank[severity] <= rank[threshold];
}

/** Sort findings into report order and count them. */
export function createReport(findings: readonly CompatFinding[]): CompatReport {
  const sorted = [...findings].sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.message.localeCompare(b.message),
  );
  const summary = { breaking: 0, warning: 0, info: 0 };
  for (const finding of sorted) summary[finding.severity]++;
  return { findings: sorted, summary };
}
