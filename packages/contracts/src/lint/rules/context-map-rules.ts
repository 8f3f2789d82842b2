import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { contextOfFile } from "../../source/contract-set.js";
import { pointerSegments, toPointer } from "../../source/yaml-document.js";
import type { ContextEntry, ContextMapModel, MapEntry } from "../context-map-model.js";
import { asyncApiOperations } from "../contract-walk.js";
import type { LintContext, LintRule, Report } from "../lint-rule.js";

const mapFile = "contexts.yaml";

/** Where each value of one list field is declared, across all contexts: value → [context, entry]. */
function declarations(
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

const at = (entry: { pointer: string }) => ({ file: mapFile, pointer: entry.pointer });

/** Run `check` with the context map, when the set has one. */
function withMap(check: (map: ContextMapModel, context: LintContext, report: Report) => void | Promise<void>) {
  return (context: LintContext, report: Report) => {
    const map = context.contextMap();
    return map ? check(map, context, report) : undefined;
  };
}

const listField = { type: "array", items: { type: "string", minLength: 1 }, uniqueItems: true } as const;

/** The shape of contexts.yaml, as its header comment describes it. */
const contextMapSchema = {
  type: "object",
  additionalProperties: false,
  required: ["version", "contexts"],
  properties: {
    version: { const: 1 },
    forbiddenDependencies: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["from", "to", "why"],
        properties: {
          from: { type: "string", minLength: 1 },
          to: { type: "string", minLength: 1 },
          why: { type: "string", minLength: 1 },
        },
      },
    },
    contexts: {
      type: "object",
      minProperties: 1,
      propertyNames: { pattern: "^[a-z][a-z0-9_]*$" },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        required: [
          "team",
          "store",
          "readModel",
          "entities",
          "publishes",
          "subscribes",
          "handles",
          "sends",
          "rpc",
          "dependsOn",
          "calls",
        ],
        properties: {
          team: { type: "string", minLength: 1 },
          store: { type: "string", minLength: 1 },
          readModel: { type: "boolean" },
          entities: {
            type: "object",
            propertyNames: { pattern: "^[a-z][a-z0-9_]*$" },
            additionalProperties: {
              type: "object",
              additionalProperties: false,
              required: ["kind"],
              properties: { kind: { enum: ["fact", "projection"] }, builtFrom: listField },
            },
          },
          publishes: listField,
          subscribes: listField,
          handles: listField,
          sends: listField,
          rpc: listField,
          rpcAccess: {
            type: "object",
            propertyNames: { pattern: "^[A-Za-z_][A-Za-z0-9_.]*/[A-Za-z_][A-Za-z0-9_]*$" },
            additionalProperties: { enum: ["public", "customer-own", "admin", "internal"] },
          },
          dependsOn: listField,
          calls: listField,
        },
      },
    },
  },
} as const;

let validateContextMap: ReturnType<Ajv2020["compile"]> | undefined;

function describeMapError(error: ErrorObject): { pointer: string; message: string } {
  const params = error.params as Record<string, unknown>;
  const where = error.instancePath || "the root";
  if (error.propertyName !== undefined) {
    return {
      pointer: toPointer([...pointerSegments(error.instancePath), error.propertyName]),
      message: `${where} has the name \`${error.propertyName}\`, which is not lower_snake_case; rename it`,
    };
  }
  switch (error.keyword) {
    case "required":
      return {
        pointer: error.instancePath,
        message: `${where} is missing \`${String(params.missingProperty)}\`; add it`,
      };
    case "additionalProperties":
      return {
        pointer: toPointer([...pointerSegments(error.instancePath), String(params.additionalProperty)]),
        message: `${where} has unknown field \`${String(params.additionalProperty)}\`; remove it or fix its spelling`,
      };
    default:
      return { pointer: error.instancePath, message: `${where} ${error.message ?? "is invalid"}; fix it` };
  }
}

/** `context-map/valid`: contexts.yaml exists and has the fields its header describes, each store used once. */
export const contextMapValid: LintRule = {
  id: "context-map/valid",
  severity: "error",
  checks:
    "`contexts.yaml` exists and has exactly the fields its header comment describes (every list present, entity kinds `fact`/`projection`, no duplicates), and no two contexts share a store.",
  fix: "Add the missing field (an empty list where there is nothing), remove unknown ones, give each context its own store.",
  check(context, report) {
    const document = context.set.contextMap;
    if (!document) {
      report(
        { file: mapFile, line: 1 },
        "there is no contexts.yaml; add the context map beside openapi/ and asyncapi/",
      );
      return;
    }
    validateContextMap ??= new Ajv2020({ allErrors: true, strict: true }).compile(contextMapSchema);
    if (!validateContextMap(document.value)) {
      for (const error of validateContextMap.errors ?? []) {
        // ajv reports a bad name twice: once for the name (with `propertyName`), once for the object; keep the first.
        if (error.keyword === "propertyNames") continue;
        const { pointer, message } = describeMapError(error);
        report({ file: mapFile, pointer }, message);
      }
    }
    const stores = new Map<string, string>();
    const contexts = (document.value as { contexts?: Record<string, { store?: unknown }> } | null)?.contexts ?? {};
    for (const [name, entry] of Object.entries(contexts)) {
      const store = entry?.store;
      if (typeof store !== "string") continue;
      const owner = stores.get(store);
      if (owner) {
        report(
          { file: mapFile, pointer: toPointer(["contexts", name, "store"]) },
          `store ${store} is also ${owner}'s; each context has its own database: give ${name} its own store`,
        );
      } else stores.set(store, name);
    }
  },
};

/** `context-map/known-context`: every context named anywhere (edges, file names) is a context of the map. */
export const knownContext: LintRule = {
  id: "context-map/known-context",
  severity: "error",
  checks:
    "Every context named in `dependsOn` and `forbiddenDependencies`, and every `openapi/<context>.yaml` and `asyncapi/<context>.yaml` file name, is a context of `contexts.yaml`.",
  fix: "Fix the spelling, or add the context to `contexts.yaml`.",
  check: withMap((map, context, report) => {
    const names = [...map.contexts.keys()].join(", ");
    for (const entry of map.contexts.values()) {
      for (const target of entry.dependsOn) {
        if (!map.contexts.has(target.value)) {
          report(at(target), `${entry.name} depends on ${target.value}, which is not a context; use one of ${names}`);
        }
      }
    }
    for (const edge of map.forbiddenDependencies) {
      for (const [side, name] of [
        ["from", edge.from],
        ["to", edge.to],
      ] as const) {
        if (name !== "*" && !map.contexts.has(name)) {
          report(
            { file: mapFile, pointer: `${edge.pointer}/${side}` },
            `forbidden dependency names ${name}, which is not a context; use one of ${names} or "*"`,
          );
        }
      }
    }
    for (const file of [...context.set.openapi.keys(), ...context.set.asyncapi.keys()]) {
      const name = contextOfFile(file);
      if (!map.contexts.has(name)) {
        report(
          { file, line: 1 },
          `${file} is named for ${name}, which is not a context of contexts.yaml; rename the file or add the context`,
        );
      }
    }
  }),
};

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

/** `context-map/rpc-exists`: every served service exists in the protos, in its context's package, once. */
export const rpcExists: LintRule = {
  id: "context-map/rpc-exists",
  severity: "error",
  checks:
    "Each `rpc` entry is a service declared in the proto files, in the serving context's package (`ecom.<context>.v<N>`); each proto service is served by exactly one context.",
  fix: "Fix the service name, declare the service in `proto/ecom/<context>/v<N>/`, or list it under the `rpc` of the one context that serves it.",
  check: withMap(async (map, context, report) => {
    const index = await context.protoIndex();
    const served = declarations(map, "rpc");
    for (const [service, servers] of served) {
      const declared = index.services.get(service);
      for (const { context: server, entry } of servers) {
        if (!declared) {
          report(
            at(entry),
            `no proto file declares service ${service}; fix the name or declare it under proto/ecom/${server.name}/v1/`,
          );
          continue;
        }
        const packageContext = /^ecom\.([a-z][a-z0-9_]*)\.v\d+$/.exec(declared.package)?.[1];
        if (packageContext !== server.name) {
          report(
            at(entry),
            `${server.name} serves ${service}, but its package ${declared.package} is not ecom.${server.name}.v<N>; move the service or list it under the right context`,
          );
        }
        if (servers.length > 1) {
          const names = servers.map(({ context: other }) => other.name).join(" and ");
          report(at(entry), `${service} is listed under the rpc of ${names}; one context serves each service`);
        }
      }
    }
    for (const service of index.services.values()) {
      if (served.has(service.fullName)) continue;
      const owner = /^ecom\.([a-z][a-z0-9_]*)\.v\d+$/.exec(service.package)?.[1] ?? "<context>";
      report(
        { file: service.file, line: service.line },
        `service ${service.fullName} is served by no context; add it to contexts.${owner}.rpc in contexts.yaml`,
      );
    }
  }),
};

/** `context-map/call-allowed`: every RPC a context calls belongs to a context it may depend on, and exists. */
export const callAllowed: LintRule = {
  id: "context-map/call-allowed",
  severity: "error",
  checks:
    "Each `calls` entry is `package.Service/Method`, its service is in the `rpc` of a context listed in the caller's `dependsOn`, and the method exists in the proto.",
  fix: "Add the serving context to `dependsOn` (if the map allows the edge), fix the method name, or stop calling it.",
  check: withMap(async (map, context, report) => {
    const index = await context.protoIndex();
    const served = declarations(map, "rpc");
    for (const caller of map.contexts.values()) {
      const allowed = new Set(caller.dependsOn.map(({ value }) => value));
      for (const call of caller.calls) {
        const match = /^([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*)\.([A-Z][A-Za-z0-9]*)\/([A-Z][A-Za-z0-9]*)$/.exec(call.value);
        if (!match) {
          report(
            at(call),
            `${call.value} is not package.Service/Method; write it like ecom.catalog.v1.CatalogService/GetProduct`,
          );
          continue;
        }
        const service = `${match[1]}.${match[2]}`;
        const method = match[3]!;
        const servers = served.get(service) ?? [];
        if (servers.length === 0) {
          report(
            at(call),
            `${caller.name} calls ${service}, which no context serves; add it to the rpc of the context that serves it`,
          );
          continue;
        }
        for (const { context: server } of servers) {
          if (server.name !== caller.name && !allowed.has(server.name)) {
            report(
              at(call),
              `${caller.name} calls ${call.value} of ${server.name}, but ${server.name} is not in contexts.${caller.name}.dependsOn; add the edge (if the map allows it) or stop calling`,
            );
          }
        }
        const declared = index.services.get(service);
        if (declared && !declared.methods.has(method)) {
          const methods = [...declared.methods.keys()].join(", ") || "none";
          report(
            at(call),
            `${service} has no method ${method} (it has ${methods}); fix the name or add the rpc to ${declared.file}`,
          );
        }
      }
    }
  }),
};

/** `context-map/no-cycle`: the synchronous `dependsOn` graph has no cycle. */
export const noCycle: LintRule = {
  id: "context-map/no-cycle",
  severity: "error",
  checks: "The graph of `dependsOn` edges has no cycle (a context may not, through others, call itself synchronously).",
  fix: "Break the cycle: remove one edge and let that context react to the other's events instead of calling it.",
  check: withMap((map, _context, report) => {
    const edges = new Map<string, MapEntry[]>();
    for (const entry of map.contexts.values()) {
      edges.set(
        entry.name,
        entry.dependsOn.filter(({ value }) => map.contexts.has(value)),
      );
    }
    // Tarjan's strongly connected components: every cycle lies inside one component of two or more contexts
    // (or one context depending on itself); each such component is reported once.
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const components: string[][] = [];
    const connect = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      for (const { value: next } of edges.get(node) ?? []) {
        if (!index.has(next)) {
          connect(next);
          low.set(node, Math.min(low.get(node)!, low.get(next)!));
        } else if (onStack.has(next)) {
          low.set(node, Math.min(low.get(node)!, index.get(next)!));
        }
      }
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        components.push(component);
      }
    };
    for (const node of [...edges.keys()].sort()) if (!index.has(node)) connect(node);
    for (const component of components) {
      const members = new Set(component);
      const start = [...component].sort()[0]!;
      const selfLoop = (edges.get(start) ?? []).find(({ value }) => value === start);
      if (component.length === 1 && !selfLoop) continue;
      // Walk a shortest path back to `start` inside the component, to name the cycle and its closing edge.
      const previous = new Map<string, { from: string; entry: MapEntry }>();
      const queue = [start];
      let closing: { from: string; entry: MapEntry } | undefined;
      while (queue.length > 0 && !closing) {
        const node = queue.shift()!;
        for (const entry of edges.get(node) ?? []) {
          if (entry.value === start) {
            closing = { from: node, entry };
            break;
          }
          if (members.has(entry.value) && !previous.has(entry.value)) {
            previous.set(entry.value, { from: node, entry });
            queue.push(entry.value);
          }
        }
      }
      if (!closing) continue;
      const path = [start];
      for (let node = closing.from; node !== start; node = previous.get(node)!.from) path.splice(1, 0, node);
      path.push(start);
      report(
        at(closing.entry),
        `synchronous calls form a cycle: ${path.join(" → ")}; break it by removing one dependsOn edge and reacting to that context's events instead`,
      );
    }
  }),
};

/** `context-map/forbidden-dependency`: no `dependsOn` edge is one the map forbids. */
export const forbiddenDependency: LintRule = {
  id: "context-map/forbidden-dependency",
  severity: "error",
  checks: "No `dependsOn` edge matches an entry of `forbiddenDependencies` (`*` matches any context).",
  fix: "Remove the edge; get the data from the other context's events instead.",
  check: withMap((map, _context, report) => {
    for (const entry of map.contexts.values()) {
      for (const target of entry.dependsOn) {
        const rule = map.forbiddenDependencies.find(
          (edge) => (edge.from === "*" || edge.from === entry.name) && (edge.to === "*" || edge.to === target.value),
        );
        if (rule) {
          report(
            at(target),
            `${entry.name} may not depend on ${target.value}${rule.why ? ` (${rule.why.replace(/\.$/, "")})` : ""}; remove the edge and use events`,
          );
        }
      }
    }
  }),
};

/** `context-map/entity-one-owner`: each original fact is owned by one context. */
export const entityOneOwner: LintRule = {
  id: "context-map/entity-one-owner",
  severity: "error",
  checks: "An entity of kind `fact` is owned by exactly one context (others may hold projections of it).",
  fix: "Keep the fact in its owning context; elsewhere make it a projection (`kind: projection`, `builtFrom:` the owner's events).",
  check: withMap((map, _context, report) => {
    const owners = new Map<string, { context: string; pointer: string }[]>();
    for (const entry of map.contexts.values()) {
      for (const entity of entry.entities) {
        if (entity.kind !== "fact") continue;
        const list = owners.get(entity.name) ?? [];
        list.push({ context: entry.name, pointer: entity.pointer });
        owners.set(entity.name, list);
      }
    }
    for (const [entity, list] of owners) {
      if (list.length < 2) continue;
      const names = list.map(({ context }) => context).join(" and ");
      for (const owner of list) {
        report(
          { file: mapFile, pointer: owner.pointer },
          `${entity} is a fact of ${names}; one context owns each entity: keep it in one and make the others projections`,
        );
      }
    }
  }),
};

/** `context-map/read-model-owns-no-facts`: a read model owns only projections. */
export const readModelOwnsNoFacts: LintRule = {
  id: "context-map/read-model-owns-no-facts",
  severity: "error",
  checks: "A context with `readModel: true` owns no entity of kind `fact`.",
  fix: "Make the entity a projection built from events, move it to the context that owns the fact, or set `readModel: false`.",
  check: withMap((map, _context, report) => {
    for (const entry of map.contexts.values()) {
      if (!entry.readModel) continue;
      for (const entity of entry.entities) {
        if (entity.kind === "fact") {
          report(
            { file: mapFile, pointer: `${entity.pointer}/kind` },
            `${entry.name} is a read model and may own no original facts, but ${entity.name} is a fact; make it a projection built from events, or set readModel: false`,
          );
        }
      }
    }
  }),
};

/** `context-map/projection-built-from-known-events`: projections name the events they are built from. */
export const projectionBuiltFromKnownEvents: LintRule = {
  id: "context-map/projection-built-from-known-events",
  severity: "error",
  checks:
    "Each projection lists `builtFrom` events; each is published by some context and is in the owning context's `subscribes` (or published by that context itself).",
  fix: "List the events under `builtFrom`, fix their names, and add each to the context's `subscribes`.",
  check: withMap((map, _context, report) => {
    const published = declarations(map, "publishes");
    for (const entry of map.contexts.values()) {
      const subscribed = new Set(entry.subscribes.map(({ value }) => value));
      // A context may project its own events (review's rating aggregate from its published reviews).
      const ownEvents = new Set(entry.publishes.map(({ value }) => value));
      for (const entity of entry.entities) {
        if (entity.kind !== "projection") {
          if (entity.kind === "fact" && entity.builtFrom.length > 0) {
            report(
              { file: mapFile, pointer: `${entity.pointer}/builtFrom` },
              `${entity.name} is a fact, yet lists builtFrom; drop builtFrom or make it a projection`,
              "warning",
            );
          }
          continue;
        }
        if (entity.builtFrom.length === 0) {
          report(
            { file: mapFile, pointer: entity.pointer },
            `projection ${entity.name} names no events; list the events it is built from under builtFrom`,
          );
        }
        for (const event of entity.builtFrom) {
          if (!published.has(event.value)) {
            report(at(event), `${entity.name} is built from ${event.value}, which no context publishes; fix the name`);
          } else if (!subscribed.has(event.value) && !ownEvents.has(event.value)) {
            report(
              at(event),
              `${entity.name} is built from ${event.value}, which ${entry.name} does not subscribe to; add it to contexts.${entry.name}.subscribes`,
            );
          }
        }
      }
    }
  }),
};
