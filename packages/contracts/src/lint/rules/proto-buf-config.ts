import { parseYamlDocument, type YamlDocument, YamlSyntaxError } from "../../source/yaml-document.js";
import { isNode } from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

const configFile = "proto/buf.yaml";

/** `proto/buf-config`: the proto module has a buf.yaml that lints with buf's STANDARD rules, unweakened. */
export const protoBufConfig: LintRule = {
  id: "proto/buf-config",
  severity: "error",
  checks:
    "When there are proto files, `proto/buf.yaml` exists and its `lint.use` includes `STANDARD`; `lint.except` and `lint.ignore` (which weaken it) give a warning.",
  fix: "Add `proto/buf.yaml` with `version: v2` and `lint: { use: [STANDARD] }`; fix the protos instead of excepting rules.",
  async check(context, report) {
    const sources = await context.protoSources();
    if (![...sources.keys()].some((path) => path.endsWith(".proto"))) return;
    const text = sources.get(configFile);
    if (text === undefined) {
      report(
        { file: configFile, line: 1 },
        "there is no proto/buf.yaml; add one with version: v2 and lint: { use: [STANDARD] }",
      );
      return;
    }
    // buf.yaml is buf's file, so the contract set does not parse it; this rule does, for line numbers.
    let document: YamlDocument;
    try {
      document = parseYamlDocument(configFile, text);
    } catch (error) {
      const line = error instanceof YamlSyntaxError ? error.line : 1;
      report({ file: configFile, line }, `proto/buf.yaml is not valid YAML (${(error as Error).message}); fix it`);
      return;
    }
    const lint = isNode(document.value) && isNode(document.value.lint) ? document.value.lint : {};
    const use = Array.isArray(lint.use) ? lint.use : [];
    if (!use.includes("STANDARD")) {
      report(
        { file: configFile, line: document.lineOf("/lint/use") },
        `buf lint does not use STANDARD (it uses ${use.join(", ") || "buf's default"}); set lint.use: [STANDARD]`,
      );
    }
    for (const key of ["except", "ignore", "ignore_only"]) {
      const value = lint[key];
      if (Array.isArray(value) ? value.length > 0 : isNode(value)) {
        report(
          { file: configFile, line: document.lineOf(`/lint/${key}`) },
          `lint.${key} weakens the STANDARD rules; fix the protos and remove it`,
          "warning",
        );
      }
    }
  },
};
