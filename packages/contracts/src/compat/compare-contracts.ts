import type { ContractFiles } from "../source/contract-files.js";
import { compareAsyncApi, nextVersionAdvice } from "./asyncapi-compat.js";
import type { CompareContext, Draft } from "./compare-context.js";
import { ConsumerIndex } from "./consumer-index.js";
import { type ContractSnapshot, dirtyFiles, type ParseCache, readSnapshot } from "./contract-snapshot.js";
import { compareDocs } from "./docs-compat.js";
import { type CompatFinding, type CompatReport, createReport } from "./finding.js";
import { compareGraphql } from "./graphql-compat.js";
import { compareOpenApi } from "./openapi-compat.js";
import { compareProto } from "./proto-compat.js";
import { ruleById } from "./rule-catalog.js";
import { SchemaDiffer } from "./schema-diff.js";
import { compareSdkSurface } from "./sdk-surface-compat.js";
import { compareSoap } from "./soap-compat.js";

/** What {@link compareContracts} compares. */
export interface CompareContractsOptions {
  /** The old contracts (a base branch). A git source may offer `readAll` to read every file in one go. */
  readonly base: ContractFiles;
  /** The new contracts (the change under review). */
  readonly head: ContractFiles;
  /**
   * Prefix for the paths in findings, so that a reader (or GitHub) can open them from where the command ran:
   * `contracts` turns `openapi/cart.yaml` into `contracts/openapi/cart.yaml`. Default: none.
   */
  readonly fileRoot?: string;
  /** The buf binary; default: the one bundled with `@bufbuild/buf`. */
  readonly bufPath?: string;
}

// How many of the operations or messages that reach one shared change a message names before "and N more".
const usagesShown = 3;

/**
 * Compare two versions of the contracts and classify every change. Each file is read once and parsed at most
 * once (a file with the same text on both sides is parsed once for both, and only if something changed that
 * depends on it); buf runs only when some proto file differs. Throws a `CompatError` when a side cannot be read
 * or a changed contract does not parse.
 */
export async function compareContracts(options: CompareContractsOptions): Promise<CompatReport> {
  const cache: ParseCache = new Map();
  const [base, head] = await Promise.all([
    readSnapshot(options.base, { label: "base", cache }),
    readSnapshot(options.head, { label: "head", cache }),
  ]);
  const drafts: Draft[] = [];
  const dirty = dirtyFiles(base, head);
  let consumers: ConsumerIndex | undefined;
  const context: CompareContext = {
    base,
    head,
    dirty,
    differ: new SchemaDiffer(base, head, dirty),
    consumers: () => {
      consumers ??= new ConsumerIndex([base.document("contexts.yaml")?.value, head.document("contexts.yaml")?.value]);
      return consumers;
    },
    emit: (draft) => drafts.push(draft),
  };
  // buf runs in its own process: start it first, so that it works while this one compares the YAML contracts.
  const proto = compareProto(context, options.bufPath ? { bufPath: options.bufPath } : {});
  try {
    compareOpenApi(context);
    compareAsyncApi(context);
    compareGraphql(context);
    compareSoap(context);
    compareSdkSurface(context);
    compareDocs(context);
  } catch (error) {
    await proto.catch(() => undefined);
    throw error;
  }
  await proto;
  return createReport(toFindings(drafts, { base, head }, options.fileRoot));
}

/**
 * Merge drafts about the same change (one rule, one place, one message) into one finding: a change to a shared
 * schema reached from twelve operations is one finding that names where it is used, with every consumer.
 */
function toFindings(
  drafts: readonly Draft[],
  sides: { base: ContractSnapshot; head: ContractSnapshot },
  fileRoot: string | undefined,
): CompatFinding[] {
  type Group = {
    draft: Draft;
    usages: Set<string>;
    consumers: Set<string>;
    advice: Set<string>;
    versioned: Set<string>;
  };
  const groups = new Map<string, Group>();
  for (const draft of drafts) {
    const key = [draft.ruleId, draft.side, draft.file, draft.pointer, draft.message].join("\0");
    let group = groups.get(key);
    if (!group) {
      group = { draft, usages: new Set(), consumers: new Set(), advice: new Set(), versioned: new Set() };
      groups.set(key, group);
    }
    if (draft.usage) group.usages.add(draft.usage);
    for (const consumer of draft.consumers ?? []) group.consumers.add(consumer);
    if (draft.advice) group.advice.add(draft.advice);
    if (draft.versioned) group.versioned.add(draft.versioned);
  }
  const prefix = fileRoot && fileRoot !== "." ? `${fileRoot.replace(/\/+$/, "")}/` : "";
  return [...groups.values()].map(({ draft, usages, consumers, advice, versioned }) => {
    const rule = ruleById(draft.ruleId);
    const line = draft.line ?? sides[draft.side].document(draft.file)?.lineOf(draft.pointer) ?? 1;
    let message = draft.message;
    if (usages.size > 0) {
      const shown = [...usages].slice(0, usagesShown);
      const more = usages.size - shown.length;
      message += ` (in ${shown.join("; ")}${more > 0 ? `; and ${more} more` : ""})`;
    }
    const versionAdvice = nextVersionAdvice([...versioned].sort());
    if (versionAdvice) advice.add(versionAdvice);
    if (rule.severity === "breaking" && advice.size > 0) message += ` ${[...advice].join(" ")}`;
    return {
      ruleId: draft.ruleId,
      severity: rule.severity,
      kind: draft.kind,
      file: `${prefix}${draft.file}`,
      line,
      pointer: draft.pointer,
      message,
      consumers: [...consumers].sort(),
    };
  });
}
