import { type ContractSet, contextOfFile, resolveRef } from "@ecom/contracts";
import openapiTS, { astToString } from "openapi-typescript";
import type { MessageModel } from "./contract-model.js";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Gather one AsyncAPI document's payload schemas and every schema they reach into a flat, self-contained
 * `components.schemas` map whose `$ref`s are all local, so openapi-typescript can turn it into types without
 * reading files. Names stay as the contracts give them; two different schemas under one name is an error.
 */
export function collectSchemas(set: ContractSet, file: string): Record<string, unknown> {
  const document = set.asyncapi.get(file)?.value as Json | undefined;
  const own =
    isObject(document?.components) && isObject(document.components.schemas) ? document.components.schemas : {};
  const collected: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const pending: { name: string; file: string; pointer: string; schema: unknown }[] = Object.entries(own).map(
    ([name, schema]) => ({ name, file, pointer: `/components/schemas/${name}`, schema }),
  );
  // Message headers (the envelope metadata) are types the SDK needs as much as payloads.
  const messages =
    isObject(document?.components) && isObject(document.components.messages) ? document.components.messages : {};
  for (const message of Object.values(messages)) {
    if (!isObject(message) || !isObject(message.headers) || typeof message.headers.$ref !== "string") continue;
    const target = resolveRef(set, file, message.headers.$ref);
    if (target)
      pending.push({
        name: target.pointer.split("/").pop() ?? "Headers",
        file: target.file,
        pointer: target.pointer,
        schema: target.value,
      });
  }
  const rewrite = (node: unknown, from: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => rewrite(item, from));
    if (!isObject(node)) return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") {
        const target = resolveRef(set, from, value);
        if (!target) throw new Error(`${from}: cannot resolve $ref ${value}`);
        const name = target.pointer.split("/").pop() ?? "Schema";
        pending.push({ name, file: target.file, pointer: target.pointer, schema: target.value });
        out.$ref = `#/components/schemas/${name}`;
      } else if (key !== "examples" && key !== "example") {
        out[key] = rewrite(value, from);
      }
    }
    return out;
  };
  while (pending.length > 0) {
    const next = pending.shift()!;
    const where = `${next.file}#${next.pointer}`;
    const seen = origin.get(next.name);
    if (seen === where) continue;
    if (seen !== undefined)
      throw new Error(`schema name ${next.name} is used by both ${seen} and ${where}; rename one`);
    origin.set(next.name, where);
    collected[next.name] = rewrite(next.schema, next.file);
  }
  return Object.fromEntries(Object.entries(collected).sort(([a], [b]) => a.localeCompare(b)));
}

/** TypeScript types (via openapi-typescript) for one AsyncAPI document's payloads and the shared schemas. */
export async function eventTypesSource(set: ContractSet, file: string): Promise<string> {
  const schemas = collectSchemas(set, file);
  const synthetic = {
    openapi: "3.1.0",
    info: { title: `${contextOfFile(file)} message payloads`, version: "1.0.0" },
    paths: {},
    components: { schemas },
  };
  const ast = await openapiTS(synthetic as never, { exportType: false, alphabetize: true });
  return astToString(ast);
}

/** The TypeScript identifier for a message type: `ecommerce.cart.cart.checked_out.v1` → `CartCartCheckedOutV1`. */
export function messageIdentifier(type: string): string {
  return type
    .replace(/^ecommerce\./, "")
    .split(/[._]/)
    .map((part) => `${part[0]?.toUpperCase() ?? ""}${part.slice(1)}`)
    .join("");
}

/** The `events.ts` module: the payload type of every message, the envelope, the union, and guards. */
export function eventIndexSource(models: readonly MessageModel[]): string {
  const contexts = [...new Set(models.map((model) => model.context))].sort();
  const lines: string[] = [];
  for (const context of contexts)
    lines.push(`import type { components as ${context}Schemas } from "./message-types/${context}.js";`);
  lines.push("");
  lines.push(
    "/** The envelope's metadata: every field of a message but its payload (contracts/common/schemas.yaml#/EventEnvelope). */",
  );
  lines.push(`export type EventEnvelopeMetadata = ${contexts[0] ?? "never"}Schemas["schemas"]["EventEnvelope"];`);
  lines.push("");
  lines.push("/** The payload type of every event and command, by its full type name. */");
  lines.push("export interface MessagePayloads {");
  for (const model of models) {
    lines.push(
      `  /** ${model.title}${model.kind === "command" ? " (command)" : ""}: published by ${model.context}. */`,
    );
    lines.push(
      `  ${JSON.stringify(model.type)}: ${model.context}Schemas["schemas"][${JSON.stringify(model.payloadName)}];`,
    );
  }
  lines.push("}");
  lines.push("");
  lines.push("/** Every event type (facts a context publishes). */");
  lines.push(
    `export type EventType = ${
      models
        .filter((m) => m.kind === "event")
        .map((m) => JSON.stringify(m.type))
        .join(" | ") || "never"
    };`,
  );
  lines.push("/** Every command type (requests a context handles). */");
  lines.push(
    `export type CommandType = ${
      models
        .filter((m) => m.kind === "command")
        .map((m) => JSON.stringify(m.type))
        .join(" | ") || "never"
    };`,
  );
  lines.push("/** Every message type. */");
  lines.push("export type MessageType = keyof MessagePayloads;");
  lines.push("");
  lines.push("/** One message in the platform envelope, its payload typed by its type. */");
  lines.push("export type MessageOf<TType extends MessageType> = EventEnvelopeMetadata & {");
  lines.push("  readonly eventType: TType;");
  lines.push("  readonly payload: MessagePayloads[TType];");
  lines.push("};");
  lines.push("");
  lines.push("/** Any event, as a union discriminated on `eventType`. */");
  lines.push("export type EcomEvent = { [TType in EventType]: MessageOf<TType> }[EventType];");
  lines.push("/** Any command, as a union discriminated on `eventType`. */");
  lines.push("export type EcomCommand = { [TType in CommandType]: MessageOf<TType> }[CommandType];");
  lines.push("/** Any message, event or command. */");
  lines.push("export type EcomMessage = { [TType in MessageType]: MessageOf<TType> }[MessageType];");
  lines.push("");
  for (const model of models) {
    const id = messageIdentifier(model.type);
    lines.push(`/** The payload of \`${model.type}\`. */`);
    lines.push(`export type ${id}Payload = MessagePayloads[${JSON.stringify(model.type)}];`);
    lines.push(`/** True when \`message\` is a \`${model.type}\`. */`);
    lines.push(
      `export const is${id} = (message: { readonly eventType: string }): message is MessageOf<${JSON.stringify(model.type)}> => message.eventType === ${JSON.stringify(model.type)};`,
    );
  }
  return `${lines.join("\n")}\n`;
}
