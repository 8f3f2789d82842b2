import { type CompatFinding, type CompatReport, reaches, type Severity } from "./finding.js";

/** The output formats of `ecom compat`. */
export const compatReportFormats = ["text", "json", "markdown", "junit", "github"] as const;

/** One of {@link compatReportFormats}. */
export type CompatReportFormat = (typeof compatReportFormats)[number];

/** How to render a report. */
export interface CompatFormatOptions {
  /** The severity that fails the gate; decides what JUnit counts as a failure. Default `breaking`. */
  readonly failOn?: Severity;
  /** The command the report is from, in headings and the verdict line. Default `ecom compat`. */
  readonly tool?: string;
  /** Words for the severities in text, headings and the summary (`ecom verify` says `failed` for `breaking`). */
  readonly labels?: Partial<Record<Severity, string>>;
  /** Appended to the verdict line (`ecom verify` gives its counts and seed there). */
  readonly note?: string;
}

interface Style {
  readonly failOn: Severity;
  readonly tool: string;
  readonly label: (severity: Severity) => string;
  readonly note: string;
}

/** Render `report` in `format`; every format ends with a newline. */
export function formatCompatReport(
  report: CompatReport,
  format: CompatReportFormat,
  options: CompatFormatOptions = {},
): string {
  const style: Style = {
    failOn: options.failOn ?? "breaking",
    tool: options.tool ?? "ecom compat",
    label: (severity) => options.labels?.[severity] ?? severity,
    note: options.note ? ` ${options.note}` : "",
  };
  switch (format) {
    case "json":
      return `${JSON.stringify({ findings: report.findings, summary: report.summary }, null, 2)}\n`;
    case "markdown":
      return formatMarkdown(report, style);
    case "junit":
      return formatJunit(report, style);
    case "github":
      return formatGithub(report, style);
    default:
      return formatText(report, style);
  }
}

const summaryLine = (report: CompatReport, style: Style) => {
  const warnings = style.label("warning");
  const plural = warnings === "warning" && report.summary.warning !== 1 ? "warnings" : warnings;
  return `${report.summary.breaking} ${style.label("breaking")}, ${report.summary.warning} ${plural}, ${report.summary.info} ${style.label("info")}`;
};

const consumersOf = (finding: CompatFinding) => (finding.consumers.length > 0 ? finding.consumers.join(", ") : "");

function formatText(report: CompatReport, style: Style): string {
  const lines = report.findings.map((finding) => {
    const consumers = finding.consumers.length > 0 ? `\n    consumers: ${consumersOf(finding)}` : "";
    return `${style.label(finding.severity).padEnd(8)} ${finding.file}:${finding.line}  ${finding.ruleId}\n    ${finding.message}${consumers}`;
  });
  const verdict =
    report.findings.length === 0 && style.tool === "ecom compat"
      ? "ecom compat: no changes to classify"
      : `${style.tool}: ${summaryLine(report, style)}${style.note}`;
  return `${[...lines, verdict].join("\n")}\n`;
}

const markdownCell = (text: string) => text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
const icons: Record<Severity, string> = { breaking: "🔴", warning: "🟡", info: "🔵" };

function formatMarkdown(report: CompatReport, style: Style): string {
  const { failOn } = style;
  const failing = report.findings.some((finding) => reaches(finding.severity, failOn));
  const verify = style.tool !== "ecom compat";
  const lines = [
    `### ${style.tool}: ${failing ? "❌" : "✅"} ${summaryLine(report, style)}${style.note}`,
    "",
    failing
      ? verify
        ? `The implementation does not honour the contracts (the gate fails on \`${style.label(failOn)}\`).`
        : `This change breaks existing clients or consumers (the gate fails on \`${failOn}\`).`
      : verify
        ? "Nothing reaches the gate's threshold."
        : "No change reaches the gate's threshold.",
  ];
  for (const severity of ["breaking", "warning", "info"] as const) {
    const findings = report.findings.filter((finding) => finding.severity === severity);
    if (findings.length === 0) continue;
    const table = [
      "| rule | where | change | consumers |",
      "|---|---|---|---|",
      ...findings.map(
        (finding) =>
          `| \`${finding.ruleId}\` | \`${markdownCell(finding.file)}:${finding.line}\` | ${markdownCell(finding.message)} | ${markdownCell(consumersOf(finding))} |`,
      ),
    ];
    const title = `${icons[severity]} ${style.label(severity)} (${findings.length})`;
    // Info is context, not a verdict: folded so the comment leads with what matters.
    if (severity === "info") lines.push("", `<details><summary>${title}</summary>`, "", ...table, "", "</details>");
    else lines.push("", `#### ${title}`, "", ...table);
  }
  return `${lines.join("\n")}\n`;
}

const xml = (text: string) =>
  text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

function formatJunit(report: CompatReport, style: Style): string {
  const { failOn } = style;
  const suite = xml(style.tool);
  const classPrefix = style.tool.replace(/^ecom /, "ecom.");
  const failures = report.findings.filter((finding) => reaches(finding.severity, failOn)).length;
  const cases = report.findings.map((finding) => {
    const name = xml(`${finding.ruleId} ${finding.file}:${finding.line}`);
    const head = `    <testcase classname="${xml(`${classPrefix}.${finding.kind}`)}" name="${name}" file="${xml(finding.file)}" line="${finding.line}">`;
    const consumers = finding.consumers.length > 0 ? `\nconsumers: ${consumersOf(finding)}` : "";
    const body = reaches(finding.severity, failOn)
      ? `      <failure type="${xml(finding.severity)}" message="${xml(finding.message)}">${xml(`${finding.message}${consumers}`)}</failure>`
      : `      <system-out>${xml(`${finding.severity}: ${finding.message}${consumers}`)}</system-out>`;
    return `${head}\n${body}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${suite}" tests="${report.findings.length}" failures="${failures}">`,
    `  <testsuite name="${suite}" tests="${report.findings.length}" failures="${failures}" errors="0" skipped="0">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

// GitHub workflow commands: data escapes %, CR and LF; property values also escape : and ,.
const githubData = (text: string) => text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const githubProperty = (text: string) => githubData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
const githubCommand: Record<Severity, string> = { breaking: "error", warning: "warning", info: "notice" };

function formatGithub(report: CompatReport, style: Style): string {
  const lines = report.findings.map((finding) => {
    const consumers = finding.consumers.length > 0 ? ` Consumers: ${consumersOf(finding)}.` : "";
    const properties = `file=${githubProperty(finding.file)},line=${finding.line},title=${githubProperty(finding.ruleId)}`;
    return `::${githubCommand[finding.severity]} ${properties}::${githubData(`${finding.message}${consumers}`)}`;
  });
  lines.push(`${style.tool}: ${summaryLine(report, style)}${style.note}`);
  return `${lines.join("\n")}\n`;
}
