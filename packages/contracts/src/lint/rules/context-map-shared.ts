import type { ContextEntry, ContextMapModel, MapEntry } from "../context-map-model.js";
import type { LintContext, Report } from "../lint-rule.js";

// What the context-map rules (context-map-*.ts) share: the map's file name, where a value is declared, and
// running a check only when the contract set has a map.

export const mapFile = "contexts.yaml";

/** Where each value of one list field is declared, across all contexts: value → [context, entry]. */
export function declarations(
  map: ContextMapModel,
  field: "publishes" | "subscribes" | "handles" | "sends" | "rpc",
): Map<string, { context: ContextEntry; entry: MapEntry }[]> {
  const byValue = new Map<string, { context: ContextEntry; entry: MapEntry }[]>();
  for (const context of map.contexts.values()) {
    for (const entry of context[field]) {
      const list = byValue.get(entry.value) ?? [];
      list.push({ context, entry });
      byValue.set(entry.value, list);
    }
  }
  return byValue;
}

export const at = (entry: { pointer: string }) => ({ file: mapFile, pointer: entry.pointer });

/** Run `check` with the context map, when the set has one. */
export function withMap(check: (map: ContextMapModel, context: LintContext, report: Report) => void | Promise<void>) {
  return (context: LintContext, report: Report) => {
    const map = context.contextMap();
    return map ? check(map, context, report) : undefined;
  };
}
