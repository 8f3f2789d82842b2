import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMemoryFiles } from "../source/contract-files.js";
import { loadContractSet } from "../source/contract-set.js";
import { lintFiles, minimal, readFixture } from "./__fixtures__/lint-fixture.js";
import { lintContractSet } from "./lint-contracts.js";
import type { LintRule } from "./lint-rule.js";
import { lintRules } from "./rules/all-rules.js";

describe("lintContractSet", () => {
  it.each([
    ["minimal", minimal],
    ["realistic", readFixture("realistic")],
  ])("finds nothing in the %s fixture, with every rule", async (_name, files) => {
    expect(await lintFiles(lintRules, files)).toEqual([]);
  });

  it("sorts findings by file, then line, counts them and drops exact repeats", async () => {
    const scattered: LintRule = {
      id: "test/scattered",
      severity: "error",
      checks: "",
      fix: "",
      check(_context, report) {
        report({ file: "openapi/cart.yaml", line: 9 }, "late");
        report({ file: "contexts.yaml", line: 30 }, "map");
        report({ file: "openapi/cart.yaml", line: 2 }, "early", "warning");
        report({ file: "openapi/cart.yaml", line: 2 }, "early", "warning");
      },
    };
    const set = await loadContractSet(createMemoryFiles({ "contexts.yaml": "version: 1\n" }));
    const report = await lintContractSet(set, { rules: [scattered] });
    expect(report.findings.map(({ file, line, severity }) => `${file}:${line} ${severity}`)).toEqual([
      "contexts.yaml:30 error",
      "openapi/cart.yaml:2 warning",
      "openapi/cart.yaml:9 error",
    ]);
    expect(report.summary).toEqual({ errors: 2, warnings: 1 });
  });

  it("gives a finding reported by pointer the line of that node and keeps the pointer", async () => {
    const pointing: LintRule = {
      id: "test/pointing",
      severity: "error",
      checks: "",
      fix: "",
      check(_context, report) {
        report({ file: "contexts.yaml", pointer: "/contexts/cart/store" }, "here");
      },
    };
    const set = await loadContractSet(
      createMemoryFiles({ "contexts.yaml": "version: 1\ncontexts:\n  cart:\n    store: cart\n" }),
    );
    const report = await lintContractSet(set, { rules: [pointing] });
    expect(report.findings).toEqual([
      {
        ruleId: "test/pointing",
        severity: "error",
        file: "contexts.yaml",
        line: 4,
        pointer: "/contexts/cart/store",
        message: "here",
      },
    ]);
  });
});

describe("the rule set", () => {
  it("gives every rule a unique `<area>/<name>` id, a sentence on what it checks and one on the fix", () => {
    const ids = lintRules.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of lintRules) {
      expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*\/[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(rule.checks.length, rule.id).toBeGreaterThan(20);
      expect(rule.fix.length, rule.id).toBeGreaterThan(20);
    }
  });

  it("is documented rule by rule in the package README", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const rule of lintRules) {
      const row = new RegExp(`^\\|\\s*\`${rule.id}\`\\s*\\|\\s*${rule.severity}\\s*\\|`, "m");
      expect(readme, rule.id).toMatch(row);
    }
  });
});
