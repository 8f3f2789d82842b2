import { describe, expect, it } from "vitest";
import { createReport } from "./finding.js";
import { formatCompatReport } from "./report-format.js";

const report = createReport([
  {
    ruleId: "asyncapi/response-required-property-removed",
    severity: "breaking",
    kind: "asyncapi",
    file: "contracts/asyncapi/order.yaml",
    line: 42,
    pointer: "/components/schemas/OrderPlaced/properties/total",
    message: "OrderPlaced.total: required property removed, 100% sure | a, b",
    consumers: ["analytics", "notification"],
  },
  {
    ruleId: "openapi/docs-changed",
    severity: "info",
    kind: "openapi",
    file: "contracts/openapi/cart.yaml",
    line: 7,
    pointer: "/info/description",
    message: "documentation only: description changed",
    consumers: [],
  },
  {
    ruleId: "openapi/response-enum-value-added",
    severity: "warning",
    kind: "openapi",
    file: "contracts/openapi/cart.yaml",
    line: 12,
    pointer: "/components/schemas/CartStatus/enum",
    message: 'CartStatus: enum value "HELD" added <new>',
    consumers: [],
  },
]);

describe("formatCompatReport", () => {
  it("json: the findings and the summary, as documented", () => {
    const parsed = JSON.parse(formatCompatReport(report, "json"));
    expect(parsed.summary).toEqual({ breaking: 1, warning: 1, info: 1 });
    expect(parsed.findings.map((finding: { ruleId: string }) => finding.ruleId)).toEqual([
      "asyncapi/response-required-property-removed",
      "openapi/response-enum-value-added",
      "openapi/docs-changed",
    ]);
    expect(Object.keys(parsed.findings[0])).toEqual([
      "ruleId",
      "severity",
      "kind",
      "file",
      "line",
      "pointer",
      "message",
      "consumers",
    ]);
  });

  it("text: one entry per finding with its place and rule, then the counts", () => {
    const text = formatCompatReport(report, "text");
    expect(text).toContain("breaking contracts/asyncapi/order.yaml:42  asyncapi/response-required-property-removed\n");
    expect(text).toContain("    consumers: analytics, notification\n");
    expect(text.trimEnd().split("\n").at(-1)).toBe("ecom compat: 1 breaking, 1 warning, 1 info");
    expect(formatCompatReport(createReport([]), "text")).toBe("ecom compat: no changes to classify\n");
  });

  it("github: one workflow command per finding, escaped, at the file and line", () => {
    const lines = formatCompatReport(report, "github").trimEnd().split("\n");
    expect(lines[0]).toBe(
      "::error file=contracts/asyncapi/order.yaml,line=42,title=asyncapi/response-required-property-removed::OrderPlaced.total: required property removed, 100%25 sure | a, b Consumers: analytics, notification.",
    );
    expect(lines[1]).toMatch(/^::warning file=contracts\/openapi\/cart\.yaml,line=12,/);
    expect(lines[2]).toMatch(/^::notice file=contracts\/openapi\/cart\.yaml,line=7,/);
  });

  it("junit: one test case per finding, failures for what reaches --fail-on", () => {
    const breakingOnly = formatCompatReport(report, "junit");
    expect(breakingOnly.match(/<testcase /g)).toHaveLength(3);
    expect(breakingOnly.match(/<failure /g)).toHaveLength(1);
    expect(breakingOnly).toContain('<testsuites name="ecom compat" tests="3" failures="1">');
    expect(breakingOnly).toContain("&lt;new&gt;");
    const withWarnings = formatCompatReport(report, "junit", { failOn: "warning" });
    expect(withWarnings.match(/<failure /g)).toHaveLength(2);
  });

  it("markdown: a PR comment with the verdict, a table per severity, info folded away", () => {
    const markdown = formatCompatReport(report, "markdown");
    expect(markdown.split("\n")[0]).toBe("### ecom compat: ❌ 1 breaking, 1 warning, 1 info");
    expect(markdown).toContain(
      "| `asyncapi/response-required-property-removed` | `contracts/asyncapi/order.yaml:42` | OrderPlaced.total: required property removed, 100% sure \\| a, b | analytics, notification |",
    );
    expect(markdown).toContain("<details><summary>🔵 info (1)</summary>");
    expect(formatCompatReport(createReport([]), "markdown").split("\n")[0]).toBe(
      "### ecom compat: ✅ 0 breaking, 0 warnings, 0 info",
    );
  });
});
