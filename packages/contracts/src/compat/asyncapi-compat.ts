import { toPointer } from "../source/yaml-document.js";
import { type Channel, collect, type Message, type Operation, type Surface } from "./asyncapi-surface.js";
import { type CompareContext, emitSchemaDifferences } from "./compare-context.js";
import type { Located } from "./contract-snapshot.js";
import { isObject, type Json } from "./json-object.js";
import type { Side } from "./rule-catalog.js";

/** `ecommerce.cart.cart.checked_out.v1` → its stem and major version; undefined for an unversioned address. */
function versionOf(address: string): { stem: string; major: number } | undefined {
  const match = /^(.*)\.v([1-9][0-9]*)$/.exec(address);
  return match?.[1] && match[2] ? { stem: match[1], major: Number(match[2]) } : undefined;
}

/**
 * The versioning rule's advice for a breaking change to the versioned types `types` (`….v1`): publish the next
 * version beside each instead. Undefined when none is versioned.
 */
export function nextVersionAdvice(types: readonly string[]): string | undefined {
  const next = types.flatMap((type) => {
    const version = versionOf(type);
    return version ? [`${version.stem}.v${version.major + 1} beside ${type}`] : [];
  });
  if (next.length === 0) return undefined;
  const shown = next.slice(0, 3).join(", ");
  const more = next.length > 3 ? ` and ${next.length - 3} more` : "";
  return `Publish ${shown}${more} instead: a breaking change is never an edit of a published version.`;
}

/** `address` when it is a versioned type (`….v1`), for the versioning rule's advice. */
const versioned = (address: string | undefined) =>
  address !== undefined && versionOf(address) ? { versioned: address } : {};

/**
 * Compare the event surface of both sides. Channels are matched by address across all AsyncAPI files (the
 * address is the event type, the wire identity); a message a context sends is read by its consumers and follows
 * the response rules, a command it receives follows the request rules.
 */
export function compareAsyncApi(context: CompareContext): void {
  const files = [...new Set([...context.base.paths("asyncapi"), ...context.head.paths("asyncapi")])].filter((file) =>
    context.dirty.has(file),
  );
  if (files.length === 0) return;
  const before = collect(context.base, files);
  const after = collect(context.head, files);
  const headByAddress = new Map(after.channels.map((channel) => [channel.address, channel]));
  const baseByAddress = new Map(before.channels.map((channel) => [channel.address, channel]));
  const matchedHead = new Set<Channel>();
  const removedChannels = new Set<string>();
  let allHeadAddresses: Set<string> | undefined;
  const headAddresses = () => {
    // Every address of the head, also in unchanged files: a new .v2 may sit beside a .v1 defined elsewhere.
    allHeadAddresses ??= new Set(
      collect(context.head, context.head.paths("asyncapi")).channels.map((channel) => channel.address),
    );
    return allHeadAddresses;
  };

  for (const channel of before.channels) {
    let match = headByAddress.get(channel.address);
    if (!match) {
      const renamed = after.channels.find(
        (candidate) =>
          candidate.file === channel.file && candidate.id === channel.id && !baseByAddress.has(candidate.address),
      );
      if (renamed) {
        match = renamed;
        emit(
          context,
          "channel-address-changed",
          { side: "head", file: renamed.file, pointer: `${renamed.pointer}/address` },
          {
            message: `channel ${channel.id}: address changed from ${channel.address} to ${renamed.address}; consumers still listen on the old one`,
            consumers: consumersOf(context, channel),
            advice: addressChangeAdvice(channel.address),
          },
        );
      }
    }
    if (!match) {
      removedChannels.add(`${channel.id}\0${channel.file}`);
      const successor = laterVersion(channel.address, headAddresses());
      emit(context, "channel-removed", removedAt(context, channel.file, channel.pointer), {
        message: `channel ${channel.address} removed`,
        consumers: consumersOf(context, channel),
        advice: successor
          ? `Keep ${channel.address} published beside ${successor} until its consumers have moved (the deprecation window).`
          : "Deprecate it and remove it only once no context consumes it.",
      });
      continue;
    }
    matchedHead.add(match);
    compareMessages(context, channel, match);
  }
  for (const channel of after.channels) {
    if (matchedHead.has(channel)) continue;
    const version = versionOf(channel.address);
    const earlier =
      version && version.major > 1
        ? [...headAddresses()].find((address) => {
            const other = versionOf(address);
            return other?.stem === version.stem && other.major < version.major;
          })
        : undefined;
    const where = { side: "head" as const, file: channel.file, pointer: channel.pointer };
    if (earlier) {
      emit(context, "event-version-added", where, {
        message: `${channel.address} published beside ${earlier}: a new version, not a breaking change`,
      });
    } else emit(context, "channel-added", where, { message: `channel ${channel.address} added` });
  }

  compareOperations(context, before, after, removedChannels);
}

function compareOperations(
  context: CompareContext,
  before: Surface,
  after: Surface,
  removedChannels: ReadonlySet<string>,
): void {
  const channelOf = (surface: Surface, operation: Operation) =>
    surface.channels.find((channel) => channel.file === operation.file && channel.id === operation.channelId);
  const matched = new Set<Operation>();
  for (const operation of before.operations) {
    const baseChannel = channelOf(before, operation);
    let match = after.operations.find(
      (candidate) => candidate.file === operation.file && candidate.id === operation.id,
    );
    if (!match && baseChannel) {
      match = after.operations.find(
        (candidate) =>
          !matched.has(candidate) &&
          candidate.action === operation.action &&
          channelOf(after, candidate)?.address === baseChannel.address,
      );
    }
    const consumers = baseChannel ? consumersOf(context, baseChannel) : [];
    const advice = versioned(baseChannel?.address);
    if (!match) {
      // A removed channel already says its operations are gone.
      if (removedChannels.has(`${operation.channelId}\0${operation.file}`)) continue;
      emit(context, "operation-removed", removedAt(context, operation.file, operation.pointer), {
        message: `operation ${operation.id} (${operation.action} ${baseChannel?.address ?? operation.channelId ?? "?"}) removed`,
        consumers,
        ...advice,
      });
      continue;
    }
    matched.add(match);
    const where = { side: "head" as const, file: match.file, pointer: match.pointer };
    if (match.action !== operation.action) {
      emit(
        context,
        "operation-action-changed",
        { ...where, pointer: `${match.pointer}/action` },
        {
          message: `operation ${match.id}: action changed from ${operation.action} to ${match.action}`,
          consumers,
          ...advice,
        },
      );
    }
    const headChannel = channelOf(after, match);
    if (
      baseChannel &&
      headChannel &&
      headChannel.address !== baseChannel.address &&
      headChannel.id !== baseChannel.id
    ) {
      emit(
        context,
        "operation-channel-changed",
        { ...where, pointer: `${match.pointer}/channel` },
        {
          message: `operation ${match.id}: moved from channel ${baseChannel.address} to ${headChannel.address}`,
          consumers,
          ...advice,
        },
      );
    }
  }
  const baseAddresses = new Set(before.channels.map((channel) => channel.address));
  for (const operation of after.operations) {
    if (matched.has(operation)) continue;
    const channel = channelOf(after, operation);
    // A new channel already says its operations are new.
    if (
      channel &&
      !baseAddresses.has(channel.address) &&
      !before.channels.some((c) => c.file === channel.file && c.id === channel.id)
    )
      continue;
    emit(
      context,
      "operation-added",
      { side: "head", file: operation.file, pointer: operation.pointer },
      {
        message: `operation ${operation.id} (${operation.action} ${channel?.address ?? operation.channelId ?? "?"}) added`,
      },
    );
  }
}

function compareMessages(context: CompareContext, base: Channel, head: Channel): void {
  const consumers = [...new Set([...consumersOf(context, base), ...consumersOf(context, head)])].sort();
  const extra = versioned(head.address);
  const sides = new Set<Side>();
  for (const action of [...base.actions, ...head.actions]) sides.add(action === "send" ? "response" : "request");
  // A channel no operation uses is documentation of what flows on it; read it as published.
  if (sides.size === 0) sides.add("response");
  const matched = new Set<Message>();
  for (const message of base.messages.values()) {
    const match =
      head.messages.get(message.key) ??
      [...head.messages.values()].find((candidate) => message.name !== undefined && candidate.name === message.name);
    if (!match) {
      emit(
        context,
        "message-removed",
        { side: "head", file: head.file, pointer: `${head.pointer}${toPointer(["messages", message.key])}` },
        {
          message: `${head.address}: message ${message.name ?? message.key} removed`,
          consumers,
          ...extra,
        },
      );
      continue;
    }
    matched.add(match);
    const type = match.name ?? head.address;
    if (message.name !== match.name) {
      emit(
        context,
        "message-name-changed",
        { side: "head", file: match.node.file, pointer: `${match.node.pointer}/name` },
        {
          message: `${head.address}: message name (its type) changed from ${message.name ?? "(none)"} to ${match.name ?? "(none)"}`,
          consumers,
          ...extra,
        },
      );
    }
    if (message.contentType !== match.contentType) {
      emit(
        context,
        "content-type-changed",
        { side: "head", file: match.node.file, pointer: `${match.node.pointer}/contentType` },
        {
          message: `${type}: content type changed from ${message.contentType ?? "(none)"} to ${match.contentType ?? "(none)"}`,
          consumers,
          ...extra,
        },
      );
    }
    for (const part of ["payload", "headers"] as const) {
      const baseSchema = schemaNode(message.node, part);
      const headSchema = schemaNode(match.node, part);
      for (const side of sides) {
        const differences = context.differ.compare(baseSchema, headSchema, side, headSchema[0] ?? match.node);
        emitSchemaDifferences(context, "asyncapi", side, differences, {
          usage: `${type} ${part}`,
          consumers,
          ...extra,
        });
      }
    }
  }
  for (const message of head.messages.values()) {
    if (matched.has(message)) continue;
    const where = { side: "head" as const, file: message.node.file, pointer: message.node.pointer };
    if (sides.has("response")) {
      emit(context, "response-message-added", where, {
        message: `${head.address}: carries a new message ${message.name ?? message.key} that its consumers do not know`,
        consumers,
        ...extra,
      });
    } else {
      emit(context, "request-message-added", where, {
        message: `${head.address}: now also accepts message ${message.name ?? message.key}`,
      });
    }
  }
}

/** A message's `payload` or `headers` schema; a multi-format schema object (`{schemaFormat, schema}`) is unwrapped. */
function schemaNode(message: Located, part: "payload" | "headers"): Located[] {
  const value = (message.value as Json)[part];
  if (value === undefined) return [];
  const node = { file: message.file, pointer: `${message.pointer}/${part}`, value };
  if (isObject(value) && typeof value.schemaFormat === "string" && value.schema !== undefined) {
    return [{ file: message.file, pointer: `${node.pointer}/schema`, value: value.schema }];
  }
  return [node];
}

function consumersOf(context: CompareContext, channel: Channel): string[] {
  const found = new Set<string>();
  const types = new Set([
    channel.address,
    ...[...channel.messages.values()].flatMap((message) => (message.name ? [message.name] : [])),
  ]);
  for (const type of types) for (const name of context.consumers().consumersOf(type, channel.actions)) found.add(name);
  return [...found].sort();
}

function laterVersion(address: string, addresses: ReadonlySet<string>): string | undefined {
  const version = versionOf(address);
  if (!version) return undefined;
  return [...addresses].find((other) => {
    const candidate = versionOf(other);
    return candidate?.stem === version.stem && candidate.major > version.major;
  });
}

function addressChangeAdvice(address: string): string {
  const version = versionOf(address);
  return version
    ? `Add ${version.stem}.v${version.major + 1} as a new channel beside ${address} instead of renaming it.`
    : "Add the new address as a new channel and keep the old one until its consumers have moved.";
}

function removedAt(context: CompareContext, file: string, pointer: string) {
  return { side: context.head.texts.has(file) ? ("head" as const) : ("base" as const), file, pointer };
}

function emit(
  context: CompareContext,
  rule: string,
  where: { side: "base" | "head"; file: string; pointer: string },
  details: { message: string; consumers?: readonly string[]; advice?: string; versioned?: string },
): void {
  context.emit({ ruleId: `asyncapi/${rule}`, kind: "asyncapi", ...where, ...details });
}
