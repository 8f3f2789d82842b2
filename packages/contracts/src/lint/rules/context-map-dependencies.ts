import type { MapEntry } from "../context-map-model.js";
import type { LintRule } from "../lint-rule.js";
import { at, declarations, withMap } from "./context-map-shared.js";

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
