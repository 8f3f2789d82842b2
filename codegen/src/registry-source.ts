import type { ContractSet } from "@ecom/contracts";
import type { MessageModel } from "./contract-model.js";
import { messageIdentifier } from "./event-types.js";

type ContextEntry = { subscribes?: unknown; handles?: unknown; sends?: unknown };

/** Which contexts consume each message type, per contexts.yaml (`subscribes` for events, `handles` for commands). */
function consumersByType(set: ContractSet): Map<string, string[]> {
  const consumers = new Map<string, string[]>();
  const contexts = (set.contextMap?.value as { contexts?: Record<string, ContextEntry> } | undefined)?.contexts ?? {};
  for (const [context, entry] of Object.entries(contexts)) {
    for (const key of ["subscribes", "handles"] as const) {
      const list = Array.isArray(entry[key]) ? (entry[key] as unknown[]) : [];
      for (const type of list) {
        if (typeof type !== "string") continue;
        consumers.set(type, [...(consumers.get(type) ?? []), context].sort());
      }
    }
  }
  return consumers;
}

/**
 * The `registry.ts` module: every message type with its producer, kind, channel, versions, consumers, example and
 * the name of its validator, so the runtime and the CLI can read the message catalogue without parsing YAML.
 */
export function registrySource(set: ContractSet, models: readonly MessageModel[]): string {
  const consumers = consumersByType(set);
  const entries = models.map((model) => {
    const example = model.examples[0];
    const headers = (example?.headers ?? {}) as { schemaVersion?: unknown };
    return {
      type: model.type,
      kind: model.kind,
      producer: model.context,
      title: model.title,
      description: model.description,
      channel: model.channel,
      version: model.version,
      schemaVersion: typeof headers.schemaVersion === "string" ? headers.schemaVersion : `${model.version}.0`,
      consumers: consumers.get(model.type) ?? [],
      contract: `contracts/${model.file}`,
      validator: messageIdentifier(model.type),
      example: example ? { headers: example.headers, payload: example.payload } : undefined,
    };
  });
  const lines = [
    'import type { MessageRegistryEntry } from "../runtime/v1/registry.js";',
    'import type { MessageType } from "./events.js";',
    "",
    "/** Every event and command of the platform, by its full type name. */",
    `export const messageRegistry: { readonly [TType in MessageType]: MessageRegistryEntry } = ${JSON.stringify(
      Object.fromEntries(entries.map((entry) => [entry.type, entry])),
      null,
      2,
    )};`,
  ];
  return `${lines.join("\n")}\n`;
}
