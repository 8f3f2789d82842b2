import { isNode, openApiOperations, rootOf } from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

const mapFile = "contexts.yaml";

/** `access/rpc-rule`: every RPC method a context serves has exactly one access rule in its `rpcAccess`. */
export const rpcAccessRule: LintRule = {
  id: "access/rpc-rule",
  severity: "error",
  checks:
    "Every method of every service in a context's `rpc` has a rule in that context's `rpcAccess` (public, customer-own, admin or internal), and every `rpcAccess` entry names a method of a service the context serves.",
  fix: "Add `package.Service/Method: internal` (or public, customer-own, admin) under the context's `rpcAccess` in contexts.yaml, or remove the stale entry.",
  async check(context, report) {
    const map = context.contextMap();
    if (!map) return;
    const index = await context.protoIndex();
    for (const entry of map.contexts.values()) {
      const served = new Set<string>();
      for (const service of entry.rpc) {
        const declared = index.services.get(service.value);
        if (!declared) continue; // context-map/rpc-exists reports it
        for (const method of declared.methods.keys()) {
          const name = `${service.value}/${method}`;
          served.add(name);
          if (!entry.rpcAccess.has(name)) {
            report(
              { file: declared.file, line: declared.methods.get(method) ?? declared.line },
              `${name} has no access rule; add \`${name}: internal\` (or public, customer-own, admin) to contexts.${entry.name}.rpcAccess in contexts.yaml`,
            );
          }
        }
      }
      for (const [name, rule] of entry.rpcAccess) {
        if (!served.has(name))
          report(
            { file: mapFile, pointer: rule.pointer },
            `${name} is not a method of a service ${entry.name} serves; fix the name or remove the entry`,
          );
      }
    }
  },
};

/** `access/rest-rule`: an operation's `x-access` is a rule REST can enforce, and agrees with its `security`. */
export const restAccessRule: LintRule = {
  id: "access/rest-rule",
  severity: "error",
  checks:
    "An operation's access rule comes from its `security` (none: public; bearerAuth: customer-own); `x-access: admin` narrows a bearerAuth operation to the admin role and is the only value allowed.",
  fix: "Use `x-access: admin` only on operations with `security: [{ bearerAuth: [] }]`, or remove it.",
  check(context, report) {
    for (const operation of openApiOperations(context)) {
      const node = operation.operation.value;
      if (!isNode(node) || node["x-access"] === undefined) continue;
      const where = { file: operation.operation.file, pointer: `${operation.operation.pointer}/x-access` };
      const label = `${operation.method.toUpperCase()} ${operation.path}`;
      if (node["x-access"] !== "admin") {
        report(where, `${label} has x-access ${JSON.stringify(node["x-access"])}; the only value is admin`);
        continue;
      }
      const root = rootOf(context, operation.file).value;
      const security = Array.isArray(node.security) ? node.security : isNode(root) ? root.security : undefined;
      if (!Array.isArray(security) || security.length === 0)
        report(where, `${label} is x-access admin but public (security: []); add security: [{ bearerAuth: [] }]`);
    }
  },
};
