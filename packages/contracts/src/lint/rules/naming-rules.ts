import { contextOfFile, type ResolvedRef } from "../../source/contract-set.js";
import {
  asyncApiMessages,
  asyncApiOperations,
  child,
  entries,
  isNode,
  items,
  openApiOperations,
  rootOf,
} from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

/** `ecommerce.<context>.<entity>.<action>.v<major>`, the type of every event and command (DESIGN.md, Messages). */
export const messageTypePattern = /^ecommerce\.([a-z][a-z_]*)\.([a-z][a-z_]*)\.([a-z][a-z_]*)\.v([1-9][0-9]*)$/;

const shape = "ecommerce.<context>.<entity>.<action>.v<N> (lower_snake_case parts, major version suffix)";

/** `naming/event-type`: event and command types follow the naming and versioning rule everywhere. */
export const eventTypeNaming: LintRule = {
  id: "naming/event-type",
  severity: "error",
  checks:
    "Event and command types are `ecommerce.<context>.<entity>.<action>.v<N>`, `<context>` being the producer (handler for a command); in AsyncAPI the message name = channel address = the type, and each example's `eventType`, `producer` and `schemaVersion` major agree.",
  fix: "Rename to the pattern with the owning context and a `.v<N>` suffix; make the message name, channel address and example headers say the same type.",
  check(context, report) {
    const map = context.contextMap();
    if (map) {
      for (const entry of map.contexts.values()) {
        for (const field of ["publishes", "handles", "subscribes", "sends"] as const) {
          for (const item of entry[field]) {
            const match = messageTypePattern.exec(item.value);
            const where = { file: map.file, pointer: item.pointer };
            if (!match) report(where, `${item.value} is not ${shape}; rename it`);
            else if ((field === "publishes" || field === "handles") && match[1] !== entry.name) {
              report(
                where,
                `${item.value} is in ${entry.name}'s ${field}, but its type names ${match[1]}; the second part is the ${
                  field === "publishes" ? "producing" : "handling"
                } context: rename it to ecommerce.${entry.name}.${match[2]}.${match[3]}.v${match[4]}`,
              );
            }
          }
        }
        for (const entity of entry.entities) {
          for (const event of entity.builtFrom) {
            if (!messageTypePattern.test(event.value)) {
              report({ file: map.file, pointer: event.pointer }, `${event.value} is not ${shape}; rename it`);
            }
          }
        }
      }
    }
    // Commands are received, so their envelope's producer is the sender, not the file's context.
    const commandMessages = new Set<string>();
    for (const operation of asyncApiOperations(context)) {
      if (operation.action !== "receive") continue;
      for (const message of operation.messages) commandMessages.add(`${message.file}#${message.pointer}`);
    }
    for (const file of context.set.asyncapi.keys()) {
      const owner = contextOfFile(file);
      for (const [, rawChannel] of entries(child(rootOf(context, file), "channels"))) {
        const channel = context.deref(rawChannel);
        if (!channel || !isNode(channel.value)) continue;
        const address = channel.value.address;
        const addressAt = { file: channel.file, pointer: `${channel.pointer}/address` };
        if (typeof address !== "string") {
          report(addressAt, `this channel has no address; give it the event type it carries (${shape})`);
          continue;
        }
        const match = messageTypePattern.exec(address);
        if (!match) report(addressAt, `channel address ${address} is not ${shape}; rename it`);
        else if (match[1] !== owner) {
          report(
            addressAt,
            `channel ${address} is in ${file}, but its type names ${match[1]}; a context's AsyncAPI document holds the events it publishes and the commands it handles, which carry its own name (subscriptions go in contexts.yaml)`,
          );
        }
        for (const [, rawMessage] of entries(child(channel, "messages"))) {
          const message = context.deref(rawMessage);
          if (!message || !isNode(message.value)) continue;
          if (message.value.name !== address) {
            report(
              { file: message.file, pointer: `${message.pointer}/name` },
              `message name ${JSON.stringify(message.value.name ?? null)} differs from its channel address ${address}; set name: ${address}`,
            );
          }
        }
      }
    }
    for (const { message, context: owner, addresses } of asyncApiMessages(context)) {
      if (!isNode(message.value)) continue;
      const name = typeof message.value.name === "string" ? message.value.name : undefined;
      if (name === undefined) {
        report(
          { file: message.file, pointer: message.pointer },
          `this message has no name; set name to its event type (${shape})`,
        );
        continue;
      }
      if (addresses.length === 0 && !messageTypePattern.test(name)) {
        report(
          { file: message.file, pointer: `${message.pointer}/name` },
          `message name ${name} is not ${shape}; rename it`,
        );
      }
      const version = messageTypePattern.exec(name)?.[4];
      const isCommand = commandMessages.has(`${message.file}#${message.pointer}`);
      for (const example of items(child(message, "examples")))
        checkExampleHeaders(example, name, version, isCommand ? undefined : owner, report);
    }
  },
};

function checkExampleHeaders(
  example: ResolvedRef,
  type: string,
  version: string | undefined,
  producer: string | undefined,
  report: Parameters<LintRule["check"]>[1],
): void {
  const headers = child(example, "headers");
  if (!isNode(headers.value)) return;
  const { eventType, schemaVersion } = headers.value;
  if (eventType !== undefined && eventType !== type) {
    report(
      { file: headers.file, pointer: `${headers.pointer}/eventType` },
      `example eventType ${JSON.stringify(eventType)} differs from the message's type ${type}; set eventType: ${type}`,
    );
  }
  if (producer !== undefined && headers.value.producer !== undefined && headers.value.producer !== producer) {
    report(
      { file: headers.file, pointer: `${headers.pointer}/producer` },
      `example producer ${JSON.stringify(headers.value.producer)} is not the publishing context; set producer: ${producer}`,
    );
  }
  if (version !== undefined && typeof schemaVersion === "string" && schemaVersion.split(".")[0] !== version) {
    report(
      { file: headers.file, pointer: `${headers.pointer}/schemaVersion` },
      `example schemaVersion ${schemaVersion} has major ${schemaVersion.split(".")[0]}, but the type is .v${version}; the major of schemaVersion is the type's version: write "${version}.<minor>"`,
    );
  }
}

/** `naming/operation-id-unique`: operationIds are unique across every OpenAPI document. */
export const operationIdUnique: LintRule = {
  id: "naming/operation-id-unique",
  severity: "error",
  checks: "Every `operationId` is unique across all OpenAPI documents (the SDK names client methods after them).",
  fix: "Rename one of the operations, e.g. with its resource in the name (`getCart`, `getOrder`).",
  check(context, report) {
    const seen = new Map<string, { file: string; pointer: string }[]>();
    for (const { operation } of openApiOperations(context)) {
      const id = isNode(operation.value) ? operation.value.operationId : undefined;
      if (typeof id !== "string") continue;
      const list = seen.get(id) ?? [];
      list.push({ file: operation.file, pointer: `${operation.pointer}/operationId` });
      seen.set(id, list);
    }
    for (const [id, list] of seen) {
      if (list.length < 2) continue;
      for (const place of list) {
        const others = list
          .filter((other) => other !== place)
          .map((other) => `${other.file} ${decodeOperation(other.pointer)}`);
        report(
          place,
          `operationId ${id} is also used by ${others.join(", ")}; operationIds are unique across all contracts: rename one`,
        );
      }
    }
  },
};

/** `/paths/~1carts/post/operationId` → `POST /carts`, for messages. */
function decodeOperation(pointer: string): string {
  const [, , path = "", method = ""] = pointer.split("/");
  return `${method.toUpperCase()} ${path.replace(/~1/g, "/").replace(/~0/g, "~")}`;
}

/** `naming/proto-package`: proto packages are `ecom.<context>.v<N>`, and services live in a context's package. */
export const protoPackageNaming: LintRule = {
  id: "naming/proto-package",
  severity: "error",
  checks:
    "Every proto package is `ecom.<name>.v<N>`; a package that declares a service is named for a context of `contexts.yaml`.",
  fix: "Rename the package (and its folder, `proto/ecom/<context>/v<N>/`) after the context that serves it.",
  async check(context, report) {
    const index = await context.protoIndex();
    const map = context.contextMap();
    const withServices = new Set([...index.services.values()].map((service) => service.package));
    for (const { file, name, line } of index.packages) {
      const match = /^ecom\.([a-z][a-z0-9_]*)\.v[1-9][0-9]*$/.exec(name);
      if (!match) {
        report({ file, line }, `package ${name} is not ecom.<context>.v<N>; rename it (and its folder) to match`);
      } else if (map && withServices.has(name) && !map.contexts.has(match[1]!)) {
        report(
          { file, line },
          `package ${name} declares services but ${match[1]} is not a context of contexts.yaml; name the package after the context that serves it`,
        );
      }
    }
  },
};
