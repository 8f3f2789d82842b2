import type { Finding, LintReport } from "./finding.js";

/** The output formats of `ecom contracts lint`. */
export const lintReportFormats = ["text", "json"] as const;

/** One of {@link lintReportFormats}. */
export type LintReportFormat = (typeof lintReportFormats)[number];

/** Options of {@link formatLintReport}. */
export interface FormatOptions {
  /** Prepended to each finding's file, so paths read relative to where the command ran (`contracts/`). */
  readonly pathPrefix?: string;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;

/**
 * Render a report. `text` is one line per finding, `file:line  severity  rule-id  message`, then a summary line;
 * `json` is `{ findings, summary }` for machines.
 */
export function formatLintReport(report: LintReport, format: LintReportFormat, options: FormatOptions = {}): string {
  const prefix = options.pathPrefix ?? "";
  const located = (finding: Finding): Finding => ({ ...finding, file: prefix + finding.file });
  if (format === "json") {
    return `${JSON.stringify({ findings: report.findings.map(located), summary: report.summary }, null, 2)}\n`;
  }
  const lines = report.findings.map((finding) => {
    const { file, line, severity, ruleId, message } = located(finding);
    return `${file}:${line}  ${severity}  ${ruleId}  ${message}`;
  });
  const { errors, warnings } = report.summary;
  lines.push(
    errors + warnings === 0
      ? "No problems found."
      : `${plural(errors, "error")}, ${plural(warnings, "warning")}${errors > 0 ? "" : " (no errors: the lint passes)"}`,
  );
  return `${lines.join("\n")}\n`;
}
