import { contextOfFile, type ResolvedRef } from "../source/contract-set.js";
import { toPointer } from "../source/yaml-document.js";
import type { LintContext } from "./lint-rule.js";

/** A plain object node of a parsed document. */
export type Node = Record<string, unknown>;

/** True for a plain object (not null, not an array). */
export const isNode = (value: unknown): value is Node =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The HTTP methods an OpenAPI path item may hold, in the order the spec lists them. */
export const httpMethods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** Methods that change state: each must be authenticated. */
export const mutationMethods: ReadonlySet<string> = new Set(["post", "put", "patch", "delete"]);

/** A child location of a node: the same file, the pointer extended by `segments`. */
export function child(at: ResolvedRef, ...segments: (string | number)[]): ResolvedRef {
  let value: unknown = at.value;
  for (const segment of segments) value = isNode(value) || Array.isArray(value) ? (value as Node)[segment] : undefined;
  return { file: at.file, pointer: at.pointer + toPointer(segments), value };
}

/** The entries of an object node as child locations; none for anything else. */
export function entries(at: ResolvedRef): [string, ResolvedRef][] {
  return isNode(at.value) ? Object.keys(at.value).map((key) => [key, child(at, key)]) : [];
}

/** The items of an array node as child locations; none for anything else. */
export function items(at: ResolvedRef): ResolvedRef[] {
  return Array.isArray(at.value) ? at.value.map((_, index) => child(at, index)) : [];
}

/** The root of a document as a location. */
export function rootOf(context: LintContext, file: string): ResolvedRef {
  return { file, pointer: "", value: context.document(file)?.value };
}

/** One operation of an OpenAPI document, with its path item (both `$ref`-free). */
export interface OpenApiOperation {
  readonly file: string;
  readonly path: string;
  readonly method: string;
  readonly operation: ResolvedRef;
  readonly pathItem: ResolvedRef;
}

/** Every operation of every OpenAPI document, in document order. */
export function openApiOperations(context: LintContext): OpenApiOperation[] {
  const operations: OpenApiOperation[] = [];
  for (const file of context.set.openapi.keys()) {
    for (const [path, rawPathItem] of entries(child(rootOf(context, file), "paths"))) {
      const pathItem = context.deref(rawPathItem);
      if (!pathItem || !isNode(pathItem.value)) continue;
      for (const method of httpMethods) {
        const operation = child(pathItem, method);
        if (isNode(operation.value)) operations.push({ file, path, method, operation, pathItem });
      }
    }
  }
  return operations;
}

/** The parameters that apply to an operation (path-level ones overridden by operation-level), resolved. */
export function operationParameters(context: LintContext, operation: OpenApiOperation): ResolvedRef[] {
  const byKey = new Map<string, ResolvedRef>();
  for (const list of [child(operation.pathItem, "parameters"), child(operation.operation, "parameters")]) {
    for (const raw of items(list)) {
      const parameter = context.deref(raw);
      if (!parameter || !isNode(parameter.value)) continue;
      byKey.set(`${String(parameter.value.in)}:${String(parameter.value.name).toLowerCase()}`, parameter);
    }
  }
  return [...byKey.values()];
}

/** One operation of an AsyncAPI 3 document with its channel and messages resolved. */
export interface AsyncApiOperation {
  readonly file: string;
  /** The context the file stands for (`asyncapi/cart.yaml` → `cart`). */
  readonly context: string;
  readonly name: string;
  readonly action: string | undefined;
  readonly operation: ResolvedRef;
  readonly channel: ResolvedRef | undefined;
  /** The channel's address, when it has one. */
  readonly address: string | undefined;
  /** The operation's messages, or all of its channel's messages when it names none. */
  readonly messages: ResolvedRef[];
}

/** Every operation of every AsyncAPI document. */
export function asyncApiOperations(context: LintContext): AsyncApiOperation[] {
  const operations: AsyncApiOperation[] = [];
  for (const file of context.set.asyncapi.keys()) {
    for (const [name, raw] of entries(child(rootOf(context, file), "operations"))) {
      const operation = context.deref(raw);
      if (!operation || !isNode(operation.value)) continue;
      const channel = context.deref(child(operation, "channel"));
      const address = isNode(channel?.value) ? channel.value.address : undefined;
      const listed = items(child(operation, "messages"));
      const raws = listed.length > 0 || !channel ? listed : entries(child(channel, "messages")).map(([, at]) => at);
      const messages = raws.flatMap((message) => {
        const resolved = context.deref(message);
        return resolved && isNode(resolved.value) ? [resolved] : [];
      });
      operations.push({
        file,
        context: contextOfFile(file),
        name,
        action: typeof operation.value.action === "string" ? operation.value.action : undefined,
        operation,
        channel,
        address: typeof address === "string" ? address : undefined,
        messages,
      });
    }
  }
  return operations;
}

/** One message of an AsyncAPI document, with the channel address it travels on when a channel lists it. */
export interface AsyncApiMessage {
  readonly file: string;
  readonly context: string;
  readonly message: ResolvedRef;
  readonly addresses: readonly string[];
}

/** Every distinct message of every AsyncAPI document: those its channels list and those in its components. */
export function asyncApiMessages(context: LintContext): AsyncApiMessage[] {
  const messages: AsyncApiMessage[] = [];
  for (const file of context.set.asyncapi.keys()) {
    const byLocation = new Map<string, { message: ResolvedRef; addresses: string[] }>();
    const add = (raw: ResolvedRef, address: string | undefined) => {
      const message = context.deref(raw);
      if (!message || !isNode(message.value)) return;
      const key = `${message.file}#${message.pointer}`;
      const entry = byLocation.get(key) ?? { message, addresses: [] };
      if (address !== undefined && !entry.addresses.includes(address)) entry.addresses.push(address);
      byLocation.set(key, entry);
    };
    const root = rootOf(context, file);
    for (const [, rawChannel] of entries(child(root, "channels"))) {
      const channel = context.deref(rawChannel);
      if (!channel) continue;
      const address = isNode(channel.value) && typeof channel.value.address === "string" ? channel.value.address : "";
      for (const [, message] of entries(child(channel, "messages"))) add(message, address || undefined);
    }
    for (const [, message] of entries(child(root, "components", "messages"))) add(message, undefined);
    for (const { message, addresses } of byLocation.values()) {
      messages.push({ file, context: contextOfFile(file), message, addresses });
    }
  }
  return messages;
}
