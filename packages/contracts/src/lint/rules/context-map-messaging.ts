import { asyncApiOperations } from "../contract-walk.js";
import type { LintContext, LintRule } from "../lint-rule.js";
import { at, declarations, withMap } from "./context-map-shared.js";

/** `context-map/event-one-producer`: every event type is published by exactly one context. */
export const eventOneProducer: LintRule = {
  id: "context-map/event-one-producer",
  severity: "error",
  checks: "Each event type appears in the `publishes` of exactly one context.",
  fix: "Keep the event in the publishes of the context its type names (`ecommerce.<context>.…`) and remove it from the others.",
  check: withMap((map, _context, report) => {
    for (const [event, producers] of declarations(map, "publishes")) {
      if (producers.length < 2) continue;
      const names = producers.map(({ context }) => context.name).join(" and ");
      const owner = event.split(".")[1] ?? "";
      for (const { entry } of producers) {
        report(
          at(entry),
          `${event} is published by ${names}; an event has exactly one producer: keep it only in ${owner}'s publishes${
            map.contexts.has(owner) ? "" : " (the context its type names)"
          } and let the others subscribe`,
        );
      }
    }
  }),
};

/** `context-map/command-one-handler`: every command type is handled by exactly one context. */
export const commandOneHandler: LintRule = {
  id: "context-map/command-one-handler",
  severity: "error",
  checks: "Each command type appears in the `handles` of exactly one context.",
  fix: "Keep the command in the handles of one context (the one its type names) and remove it from the others.",
  check: withMap((map, _context, report) => {
    for (const [command, handlers] of declarations(map, "handles")) {
      if (handlers.length < 2) continue;
      const names = handlers.map(({ context }) => context.name).join(" and ");
      for (const { entry } of handlers) {
        report(at(entry), `${command} is handled by ${names}; a command has exactly one handler: keep it in one`);
      }
    }
  }),
};

/** Which AsyncAPI operations (by action) carry which channel addresses, per context. */
function operationAddresses(context: LintContext, action: "send" | "receive") {
  const byContext = new Map<string, Map<string, { file: string; pointer: string }>>();
  for (const operation of asyncApiOperations(context)) {
    if (operation.action !== action) continue;
    const addresses = operation.address
      ? [operation.address]
      : operation.messages.flatMap((message) => {
          const name = (message.value as { name?: unknown }).name;
          return typeof name === "string" ? [name] : [];
        });
    const map = byContext.get(operation.context) ?? new Map();
    for (const address of addresses) {
      if (!map.has(address)) map.set(address, { file: operation.file, pointer: operation.operation.pointer });
    }
    byContext.set(operation.context, map);
  }
  return byContext;
}

function declaredRule(options: {
  id: string;
  action: "send" | "receive";
  field: "publishes" | "handles";
  noun: string;
}): LintRule {
  const { action, field, noun } = options;
  return {
    id: options.id,
    severity: "error",
    checks: `Each \`${action}\` operation of \`asyncapi/<context>.yaml\` carries ${noun === "event" ? "an" : "a"} ${noun} listed in that context's \`${field}\`, and each \`${field}\` entry has a \`${action}\` operation.`,
    fix: `Add the ${noun} to \`${field}\` in contexts.yaml, or add the channel, message and \`${action}\` operation to the context's AsyncAPI document.`,
    check: withMap((map, context, report) => {
      const operations = operationAddresses(context, action);
      for (const [name, addresses] of operations) {
        const entry = map.contexts.get(name);
        if (!entry) continue;
        const declared = new Set(entry[field].map(({ value }) => value));
        for (const [address, where] of addresses) {
          if (!declared.has(address)) {
            report(
              where,
              `this ${action} operation carries ${address}, which contexts.yaml does not list under contexts.${name}.${field}; add it there or remove the operation`,
            );
          }
        }
      }
      for (const entry of map.contexts.values()) {
        const file = `asyncapi/${entry.name}.yaml`;
        const addresses = operations.get(entry.name);
        for (const item of entry[field]) {
          if (addresses?.has(item.value)) continue;
          report(
            at(item),
            context.set.asyncapi.has(file)
              ? `${entry.name} ${field} ${item.value}, but ${file} has no ${action} operation on a channel with that address; add the channel, its message and the operation`
              : `${entry.name} ${field} ${item.value}, but there is no ${file}; create it with the channel, message and ${action} operation`,
          );
        }
      }
    }),
  };
}

/** `context-map/event-producer-declared`: send operations and `publishes` agree, context by context. */
export const eventProducerDeclared = declaredRule({
  id: "context-map/event-producer-declared",
  action: "send",
  field: "publishes",
  noun: "event",
});

/** `context-map/command-handler-declared`: receive operations and `handles` agree, context by context. */
export const commandHandlerDeclared = declaredRule({
  id: "context-map/command-handler-declared",
  action: "receive",
  field: "handles",
  noun: "command",
});

/** `context-map/subscription-exists`: every subscription names an event some context publishes. */
export const subscriptionExists: LintRule = {
  id: "context-map/subscription-exists",
  severity: "error",
  checks: "Each `subscribes` entry is an event that some context publishes.",
  fix: "Fix the event type (check its context, entity, action and version), or add it to its producer's publishes.",
  check: withMap((map, _context, report) => {
    const published = declarations(map, "publishes");
    for (const entry of map.contexts.values()) {
      for (const event of entry.subscribes) {
        if (!published.has(event.value)) {
          report(
            at(event),
            `${entry.name} subscribes to ${event.value}, which no context publishes; fix the name or publish it`,
          );
        }
      }
    }
  }),
};

/** `context-map/sent-command-exists`: every sent command is handled by some context. */
export const sentCommandExists: LintRule = {
  id: "context-map/sent-command-exists",
  severity: "error",
  checks: "Each `sends` entry is a command that some context handles.",
  fix: "Fix the command type, or add it to the handles of the context that should act on it.",
  check: withMap((map, _context, report) => {
    const handled = declarations(map, "handles");
    for (const entry of map.contexts.values()) {
      for (const command of entry.sends) {
        if (!handled.has(command.value)) {
          report(
            at(command),
            `${entry.name} sends ${command.value}, which no context handles; fix the name or handle it`,
          );
        }
      }
    }
  }),
};
