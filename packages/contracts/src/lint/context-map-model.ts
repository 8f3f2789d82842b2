import type { YamlDocument } from "../source/yaml-document.js";
import { toPointer } from "../source/yaml-document.js";

/** A string entry of the context map with the JSON Pointer it was read from (for the line of a finding). */
export interface MapEntry {
  readonly value: string;
  readonly pointer: string;
}

/** An entity a context owns: an original fact, or a projection built from events. */
export interface EntityEntry {
  readonly name: string;
  readonly kind: string | undefined;
  readonly builtFrom: readonly MapEntry[];
  readonly pointer: string;
}

/** One context of `contexts.yaml`. Lists are empty when absent; `context-map/valid` reports missing fields. */
export interface ContextEntry {
  readonly name: string;
  readonly pointer: string;
  readonly readModel: boolean;
  readonly entities: readonly EntityEntry[];
  readonly publishes: readonly MapEntry[];
  readonly subscribes: readonly MapEntry[];
  readonly handles: readonly MapEntry[];
  readonly sends: readonly MapEntry[];
  readonly rpc: readonly MapEntry[];
  /** `rpcAccess`: the access rule of each RPC method (`package.Service/Method` → rule) with its entry's pointer. */
  readonly rpcAccess: ReadonlyMap<string, MapEntry>;
  readonly dependsOn: readonly MapEntry[];
  readonly calls: readonly MapEntry[];
}

/** An edge that must never exist; `to` (or `from`) may be `*`, meaning any context. */
export interface ForbiddenDependency {
  readonly from: string;
  readonly to: string;
  readonly why: string | undefined;
  readonly pointer: string;
}

/** `contexts.yaml` read into a model: contexts by name, and the forbidden edges. */
export interface ContextMapModel {
  readonly file: string;
  readonly contexts: ReadonlyMap<string, ContextEntry>;
  readonly forbiddenDependencies: readonly ForbiddenDependency[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function stringList(owner: Record<string, unknown>, key: string, at: readonly string[]): MapEntry[] {
  const list = owner[key];
  if (!Array.isArray(list)) return [];
  // Entries that are not strings are left to `context-map/valid`; the other rules work on what is well formed.
  return list.flatMap((value, index) =>
    typeof value === "string" ? [{ value, pointer: toPointer([...at, key, index]) }] : [],
  );
}

/** Read a parsed `contexts.yaml` into a {@link ContextMapModel}, tolerating (skipping) malformed parts. */
export function readContextMap(document: YamlDocument): ContextMapModel {
  const root = isRecord(document.value) ? document.value : {};
  const contexts = new Map<string, ContextEntry>();
  const contextsNode = isRecord(root.contexts) ? root.contexts : {};
  for (const [name, node] of Object.entries(contextsNode)) {
    const at = ["contexts", name];
    const context = isRecord(node) ? node : {};
    const entitiesNode = isRecord(context.entities) ? context.entities : {};
    const entities = Object.entries(entitiesNode).map(([entityName, entity]): EntityEntry => {
      const entityAt = [...at, "entities", entityName];
      const record = isRecord(entity) ? entity : {};
      return {
        name: entityName,
        kind: typeof record.kind === "string" ? record.kind : undefined,
        builtFrom: stringList(record, "builtFrom", entityAt),
        pointer: toPointer(entityAt),
      };
    });
    contexts.set(name, {
      name,
      pointer: toPointer(at),
      readModel: context.readModel === true,
      entities,
      publishes: stringList(context, "publishes", at),
      subscribes: stringList(context, "subscribes", at),
      handles: stringList(context, "handles", at),
      sends: stringList(context, "sends", at),
      rpc: stringList(context, "rpc", at),
      rpcAccess: new Map(
        Object.entries(isRecord(context.rpcAccess) ? context.rpcAccess : {}).flatMap(([method, rule]) =>
          typeof rule === "string" ? [[method, { value: rule, pointer: toPointer([...at, "rpcAccess", method]) }]] : [],
        ),
      ),
      dependsOn: stringList(context, "dependsOn", at),
      calls: stringList(context, "calls", at),
    });
  }
  const forbidden = Array.isArray(root.forbiddenDependencies) ? root.forbiddenDependencies : [];
  const forbiddenDependencies = forbidden.flatMap((edge, index): ForbiddenDependency[] =>
    isRecord(edge) && typeof edge.from === "string" && typeof edge.to === "string"
      ? [
          {
            from: edge.from,
            to: edge.to,
            why: typeof edge.why === "string" ? edge.why : undefined,
            pointer: toPointer(["forbiddenDependencies", index]),
          },
        ]
      : [],
  );
  return { file: document.file, contexts, forbiddenDependencies };
}
