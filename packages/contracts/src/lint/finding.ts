/** How bad a finding is: an `error` fails the lint (exit 1), a `warning` is reported and passes. */
export type Severity = "error" | "warning";

/** One problem the linter found, at a file and line of the contracts. */
export interface Finding {
  /** The stable id of the rule that found it, e.g. `context-map/event-one-producer`. */
  readonly ruleId: string;
  readonly severity: Severity;
  /** The file, relative to the contracts root (`openapi/cart.yaml`). */
  readonly file: string;
  /** 1-based line in `file`. */
  readonly line: number;
  /** JSON Pointer of the node in `file`, for YAML files. */
  readonly pointer?: string;
  /** What is wrong and what to do about it. */
  readonly message: string;
}

/** The result of a lint run: findings sorted by file and line, and their counts. */
export interface LintReport {
  readonly findings: readonly Finding[];
  readonly summary: { readonly errors: number; readonly warnings: number };
}

/** Order findings by file, then line, then rule id and message, so reports are stable across runs. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.ruleId !== b.ruleId) return a.ruleId < b.ruleId ? -1 : 1;
  return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
}

/** Sort, de-duplicate and count findings into a report. */
export function createLintReport(findings: readonly Finding[]): LintReport {
  const seen = new Set<string>();
  const unique: Finding[] = [];
  for (const finding of [...findings].sort(compareFindings)) {
    // A shared component reached from several documents is checked once per route; report it once.
    const key = `${finding.ruleId}\0${finding.file}\0${finding.line}\0${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(finding);
  }
  const errors = unique.filter((finding) => finding.severity === "error").length;
  return { findings: unique, summary: { errors, warnings: unique.length - errors } };
}
