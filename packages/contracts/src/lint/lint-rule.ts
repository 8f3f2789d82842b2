import type { ContractSet, ResolvedRef } from "../source/contract-set.js";
import type { YamlDocument } from "../source/yaml-document.js";
import type { ContextMapModel } from "./context-map-model.js";
import type { Severity } from "./finding.js";
import type { ProtoIndex } from "./proto-index.js";

/** A place in the contracts: a file and a JSON Pointer into it (its line is looked up), or an explicit line. */
export interface LintLocation {
  readonly file: string;
  readonly pointer?: string;
  readonly line?: number;
}

/** Report a finding of the running rule; the severity defaults to the rule's. */
export type Report = (at: LintLocation, message: string, severity?: Severity) => void;

/** What a rule sees: the parsed contract set and views of it computed once per run and shared by all rules. */
export interface LintContext {
  readonly set: ContractSet;
  /** The parsed YAML file at `path`, of any kind (context map, OpenAPI, AsyncAPI, shared). */
  document(path: string): YamlDocument | undefined;
  /** Resolve a `$ref` written in `fromFile`; undefined when the file is not in the set. */
  resolve(fromFile: string, ref: string): ResolvedRef | undefined;
  /**
   * Follow `$ref`s from a node until a node that is not a reference. Undefined when a reference does not resolve
   * (the `ref/resolves` rule reports those) or loops.
   */
  deref(at: ResolvedRef): ResolvedRef | undefined;
  /** The context map read into a model with the pointer of every entry; undefined when there is no contexts.yaml. */
  contextMap(): ContextMapModel | undefined;
  /** The text of every `.proto` file, keyed by path (read once per run). */
  protoSources(): Promise<ReadonlyMap<string, string>>;
  /** The packages, services and methods declared in the proto files. */
  protoIndex(): Promise<ProtoIndex>;
}

/** One lint rule: a stable id, the severity of its findings, and what the README says about it. */
export interface LintRule {
  /** Stable id, `<area>/<name>`; never renamed, since CI configurations and reports refer to it. */
  readonly id: string;
  readonly severity: Severity;
  /** What the rule checks, one sentence. */
  readonly checks: string;
  /** How to fix what it reports, one sentence. */
  readonly fix: string;
  check(context: LintContext, report: Report): void | Promise<void>;
}
