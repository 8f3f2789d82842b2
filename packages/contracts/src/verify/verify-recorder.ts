import { type CompatFinding, type CompatReport, createReport } from "../compat/finding.js";
import type { LintContext } from "../lint/lint-rule.js";
import { verifyRuleById } from "./verify-rules.js";

/** Where a finding points in the contracts: the file and JSON Pointer of the operation, method or message. */
export interface ContractPlace {
  readonly file: string;
  readonly pointer: string;
  /**
   * What the finding is about (an operationId, an RPC method, an event type): one finding per rule and subject, so
   * that five cases failing the same way make one finding, the first one's. Default: the pointer and message.
   */
  readonly subject?: string;
}

/** The result of one `ecom verify` run: findings in compat's report shape, plus what was exercised. */
export interface VerifyReport extends CompatReport {
  readonly stats: VerifyStats;
}

/** How much a run did. */
export interface VerifyStats {
  requests: number;
  operations: number;
  rpcMethods: number;
  events: number;
  notImplemented: number;
}

/**
 * Collects findings as verify runs. Each finding uses compat's shape, so that compat's formatters (text, JSON,
 * Markdown, JUnit, GitHub annotations) render verify's report too; `file:line` is the contract element checked.
 */
export class VerifyRecorder {
  readonly #findings: CompatFinding[] = [];
  readonly #seen = new Set<string>();
  readonly stats: VerifyStats = { requests: 0, operations: 0, rpcMethods: 0, events: 0, notImplemented: 0 };

  constructor(
    private readonly view: LintContext,
    private readonly fileRoot: string,
  ) {}

  /** Record a finding of rule `ruleId` at `place`; one finding per rule, file and subject. */
  fail(ruleId: string, place: ContractPlace, message: string): void {
    const key = `${ruleId}\0${place.file}\0${place.subject ?? `${place.pointer}\0${message}`}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const rule = verifyRuleById(ruleId);
    this.#findings.push({
      ruleId,
      severity: rule.severity,
      kind: rule.kind,
      file: `${this.fileRoot}${place.file}`,
      line: this.view.document(place.file)?.lineOf(place.pointer) ?? 1,
      pointer: place.pointer,
      message,
      consumers: [],
    });
  }

  /** The findings so far, sorted as compat sorts them, with the run's counts. */
  report(): VerifyReport {
    return { ...createReport(this.#findings), stats: { ...this.stats } };
  }
}
