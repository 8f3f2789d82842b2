/** @ecom/contracts: loading, linting and comparing the ecom contracts. */

export { type CompareContractsOptions, compareContracts } from "./compat/compare-contracts.js";
export { CompatError, type CompatErrorCode, isCompatError } from "./compat/compat-error.js";
export { type ContractSource, openContractSource } from "./compat/contract-source.js";
export {
  type CompatFinding,
  type CompatReport,
  type CompatSummary,
  type ContractKind,
  reaches,
  type Severity as CompatSeverity,
} from "./compat/finding.js";
export {
  type CompatFormatOptions,
  type CompatReportFormat,
  compatReportFormats,
  formatCompatReport,
} from "./compat/report-format.js";
export { type CompatRule, compatRules, ruleById } from "./compat/rule-catalog.js";
export { codeRules, lintContextCode } from "./lint/code-boundaries.js";
export { readContextMap } from "./lint/context-map-model.js";
export { createLintReport, type Finding, type LintReport, type Severity } from "./lint/finding.js";
export {
  type FormatOptions,
  formatLintReport,
  type LintReportFormat,
  lintReportFormats,
} from "./lint/format-report.js";
export { type LintOptions, lintContractSet } from "./lint/lint-contracts.js";
export type { LintContext, LintLocation, LintRule, Report } from "./lint/lint-rule.js";
export { lintRules } from "./lint/rules/all-rules.js";
export { LintToolError } from "./lint/rules/proto-buf-lint.js";
export {
  type ContractFiles,
  ContractSourceError,
  createDirectoryFiles,
  createGitFiles,
  createMemoryFiles,
} from "./source/contract-files.js";
export {
  allDocuments,
  type ContractSet,
  contextOfFile,
  loadContractSet,
  type ResolvedRef,
  resolveRef,
  valueAt,
} from "./source/contract-set.js";
export {
  parseWsdl,
  type WsdlDocument,
  type WsdlProblem,
  type XsdField,
  type XsdShape,
} from "./source/wsdl-document.js";
export {
  parseYamlDocument,
  pointerSegments,
  toPointer,
  type YamlDocument,
  YamlSyntaxError,
} from "./source/yaml-document.js";
export {
  isVerifyError,
  VerifyError,
  type VerifyOptions,
  verifyImplementation,
} from "./verify/verify-implementation.js";
export type { VerifyReport, VerifyStats } from "./verify/verify-recorder.js";
export { type VerifyRule, verifyRules } from "./verify/verify-rules.js";
