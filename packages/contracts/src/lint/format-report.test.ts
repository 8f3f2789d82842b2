import { describe, expect, it } from "vitest";
import { createLintReport, type Finding } from "./finding.js";
import { formatLintReport } from "./format-report.js";

const error: Finding = {
  ruleId: "context-map/no-cycle",
  severity: "error",
  file: "contexts.yaml",
  line: 12,
  pointer: "/contexts/cart/dependsOn/0",
  message: "synchronous calls form a cycle: cart → promotion → cart; break it",
};
const warning: Finding = {
  ruleId: "openapi/correlation-id",
  severity: "warning",
  file: "openapi/cart.yaml",
  line: 3,
  message: "GET /carts does not take the Correlation-Id header; add it",
};

describe("formatLintReport", () => {
  it.each([
    [
      "text: one line per finding, paths under the prefix, then the counts",
      {
        given: [warning, error],
        want: [
          "contracts/contexts.yaml:12  error  context-map/no-cycle  synchronous calls form a cycle: cart → promotion → cart; break it",
          "contracts/openapi/cart.yaml:3  warning  openapi/correlation-id  GET /carts does not take the Correlation-Id header; add it",
          "1 error, 1 warning",
          "",
        ].join("\n"),
      },
    ],
    [
      "text: warnings only say the lint passes",
      { given: [warning], want: expect.stringContaining("0 errors, 1 warning (no errors: the lint passes)") },
    ],
    ["text: nothing found", { given: [], want: "No problems found.\n" }],
  ])("%s", (_name, { given, want }) => {
    expect(formatLintReport(createLintReport(given), "text", { pathPrefix: "contracts/" })).toEqual(want);
  });

  it("json: { findings, summary } with the prefixed paths", () => {
    const parsed = JSON.parse(
      formatLintReport(createLintReport([warning, error]), "json", { pathPrefix: "contracts/" }),
    );
    expect(parsed).toEqual({
      findings: [
        { ...error, file: "contracts/contexts.yaml" },
        { ...warning, file: "contracts/openapi/cart.yaml" },
      ],
      summary: { errors: 1, warnings: 1 },
    });
  });
});
