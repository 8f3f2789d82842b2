import { allDocuments, type ContractSet, resolveRef } from "../source/contract-set.js";
import type { YamlDocument } from "../source/yaml-document.js";
import { type ContextMapModel, readContextMap } from "./context-map-model.js";
import { createLintReport, type Finding, type LintReport } from "./finding.js";
import type { LintContext, LintLocation, LintRule } from "./lint-rule.js";
import { indexProtoFiles, type ProtoIndex } from "./proto-index.js";
import { lintRules } from "./rules/all-rules.js";

/** Options of {@link lintContractSet}. */
export interface LintOptions {
  /** The rules to run; every rule by default. */
  readonly rules?: readonly LintRule[];
}

const isReference = (value: unknown): value is { $ref: string } =>
  value !== null && typeof value === "object" && typeof (value as { $ref?: unknown }).$ref === "string";

/** Build the shared, lazily computed views of one contract set that every rule of a run reads. */
export function createLintContext(set: ContractSet): LintContext {
  const documents = allDocuments(set);
  let contextMap: ContextMapModel | undefined | null = null;
  let protoSources: Promise<ReadonlyMap<string, string>> | undefined;
  let protoIndex: Promise<ProtoIndex> | undefined;
  const context: LintContext = {
    set,
    document: (path) => documents.get(path),
    resolve: (fromFile, ref) => (documents.has(fromFile) ? resolveRef(set, fromFile, ref) : undefined),
    deref(at) {
      let current = at;
      const seen = new Set<string>();
      while (isReference(current.value)) {
        const key = `${current.file}#${current.pointer}`;
        if (seen.has(key)) return undefined;
        seen.add(key);
        const next = resolveRef(set, current.file, current.value.$ref);
        if (!next || next.value === undefined) return undefined;
        current = next;
      }
      return current;
    },
    contextMap() {
      if (contextMap === null) contextMap = set.contextMap ? readContextMap(set.contextMap) : undefined;
      return contextMap;
    },
    protoSources() {
      protoSources ??= (async () => {
        // Every file below proto/ (buf.yaml and buf.lock too): buf needs the whole module.
        const paths = (await set.files.list()).filter((path) => path.startsWith("proto/"));
        const texts = await Promise.all(paths.map((path) => set.files.read(path)));
        return new Map(paths.map((path, index) => [path, texts[index]!]));
      })();
      return protoSources;
    },
    protoIndex() {
      protoIndex ??= context.protoSources().then((sources) => {
        const protoFiles = new Map([...sources].filter(([path]) => path.endsWith(".proto")));
        return indexProtoFiles(protoFiles);
      });
      return protoIndex;
    },
  };
  return context;
}

function lineOf(document: YamlDocument | undefined, at: LintLocation): number {
  if (at.line !== undefined) return at.line;
  if (document && at.pointer !== undefined) return document.lineOf(at.pointer);
  return 1;
}

/** Run the lint rules over a parsed contract set and return the sorted, counted findings. */
export async function lintContractSet(set: ContractSet, options: LintOptions = {}): Promise<LintReport> {
  const context = createLintContext(set);
  const findings: Finding[] = [];
  const rules = options.rules ?? lintRules;
  await Promise.all(
    rules.map(async (rule) => {
      await rule.check(context, (at, message, severity = rule.severity) => {
        findings.push({
          ruleId: rule.id,
          severity,
          file: at.file,
          line: lineOf(context.document(at.file), at),
          ...(at.pointer !== undefined ? { pointer: at.pointer } : {}),
          message,
        });
      });
    }),
  );
  return createLintReport(findings);
}
