import type { ConsumerIndex } from "./consumer-index.js";
import type { ContractSnapshot } from "./contract-snapshot.js";
import type { ContractKind } from "./finding.js";
import { type SchemaChange, type Side, schemaRuleId } from "./rule-catalog.js";
import type { SchemaDiffer, SchemaDifference } from "./schema-diff.js";

/**
 * A change as a rule reports it, before changes at the same place are merged into one finding and lines are
 * looked up. `usage` says through which operation or message the change was reached (a shared schema is reached
 * from many); `advice` is added to the message of a breaking finding.
 */
export interface Draft {
  readonly ruleId: string;
  readonly kind: ContractKind;
  /** Which side's file `file`/`pointer` are in: the head, except for something whose whole file is gone. */
  readonly side: "base" | "head";
  readonly file: string;
  readonly pointer: string;
  readonly message: string;
  /** Set for protobuf, whose files are not YAML and carry no JSON Pointer. */
  readonly line?: number;
  readonly usage?: string;
  readonly consumers?: readonly string[];
  readonly advice?: string;
  /** The versioned event or command type (`….v1`) changed; a breaking finding advises publishing `….v2` beside it. */
  readonly versioned?: string;
}

/** What every rule set works with: both sides, the files that may differ, the schema differ, the consumers. */
export interface CompareContext {
  readonly base: ContractSnapshot;
  readonly head: ContractSnapshot;
  /** YAML files whose meaning may differ (see `dirtyFiles`). */
  readonly dirty: ReadonlySet<string>;
  readonly differ: SchemaDiffer;
  /** Built on first use, since an unchanged tree never needs `contexts.yaml`. */
  consumers(): ConsumerIndex;
  emit(draft: Draft): void;
}

/** Report the differences of a schema comparison as `<kind>/<side>-<change>` findings. */
export function emitSchemaDifferences(
  context: CompareContext,
  kind: "openapi" | "asyncapi",
  side: Side,
  differences: readonly SchemaDifference[],
  reach: { usage: string; consumers?: readonly string[]; advice?: string; versioned?: string },
): void {
  for (const difference of differences) {
    context.emit({
      ruleId: schemaRuleId(kind, side, difference.change as SchemaChange),
      kind,
      side: "head",
      file: difference.file,
      pointer: difference.pointer,
      message: difference.message,
      ...reach,
    });
  }
}
