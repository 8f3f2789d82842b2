import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { createMemoryFiles } from "../../source/contract-files.js";
import { loadContractSet } from "../../source/contract-set.js";
import type { Finding } from "../finding.js";
import { lintContractSet } from "../lint-contracts.js";
import type { LintRule } from "../lint-rule.js";

/** Contract files by path relative to the contracts root. */
export type Files = Record<string, string>;

/** Read a fixture folder (`minimal`, `realistic`) into memory. */
export function readFixture(name: string): Files {
  const root = fileURLToPath(new URL(`./${name}/`, import.meta.url));
  const files: Files = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(root, path).split(sep).join("/")] = readFileSync(path, "utf8");
  }
  return files;
}

/** The smallest contract set that passes every rule; each rule's broken cases are one edit of it. */
export const minimal: Files = readFixture("minimal");

/**
 * A copy of `files` with the first `from` (after `after`, when given) replaced by `to` in `path`; throws if
 * `from` is not there, so a stale case fails loudly instead of testing the unbroken fixture.
 */
export function edit(files: Files, path: string, from: string, to: string, after?: string): Files {
  const text = files[path];
  const start = after === undefined ? 0 : (text?.indexOf(after) ?? -1);
  const index = text === undefined || start === -1 ? -1 : text.indexOf(from, start);
  if (text === undefined || index === -1) throw new Error(`fixture ${path} does not contain ${JSON.stringify(from)}`);
  return { ...files, [path]: text.slice(0, index) + to + text.slice(index + from.length) };
}

/** A copy of `files` without `path`. */
export function without(files: Files, path: string): Files {
  const { [path]: _removed, ...rest } = files;
  return rest;
}

/** The 1-based line of the first occurrence of `needle` in `files[path]` (after `after`, when given). */
export function lineOf(files: Files, path: string, needle: string, after?: string): number {
  const text = files[path] ?? "";
  const start = after === undefined ? 0 : text.indexOf(after);
  const index = start === -1 ? -1 : text.indexOf(needle, start);
  if (index === -1) throw new Error(`fixture ${path} does not contain ${JSON.stringify(needle)}`);
  return text.slice(0, index).split("\n").length;
}

/** Lint in-memory files with the given rules. */
export async function lintFiles(rules: LintRule | readonly LintRule[], files: Files): Promise<readonly Finding[]> {
  const set = await loadContractSet(createMemoryFiles(files));
  const report = await lintContractSet(set, { rules: Array.isArray(rules) ? rules : [rules as LintRule] });
  return report.findings;
}

/** What a case expects: a finding at a file and line, optionally its severity and (part of) its message. */
export interface Want {
  readonly file: string;
  readonly line: number;
  readonly severity?: "error" | "warning";
  readonly message?: string;
}

/** Assert that `findings` are exactly `wants`, in report order (by file, then line). */
export function expectFindings(findings: readonly Finding[], wants: readonly Want[]): void {
  const got = findings.map((finding, index) => ({
    file: finding.file,
    line: finding.line,
    severity: finding.severity,
    ...(wants[index]?.message !== undefined ? { message: finding.message } : {}),
  }));
  const want = wants.map((item) => ({
    file: item.file,
    line: item.line,
    severity: item.severity ?? "error",
    ...(item.message !== undefined ? { message: expect.stringContaining(item.message) } : {}),
  }));
  expect(got, JSON.stringify(findings, null, 2)).toEqual(want);
}
