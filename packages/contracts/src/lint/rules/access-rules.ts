import { contextOfFile } from "../../source/contract-set.js";
import { isNode, type OpenApiOperation, openApiOperations, rootOf } from "../contract-walk.js";
import type { LintContext, LintRule } from "../lint-rule.js";

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

/** The REST rule of an operation, as the runtime reads it: public without security, admin with `x-access: admin`. */
function restRuleOf(context: LintContext, operation: OpenApiOperation): "public" | "customer-own" | "admin" {
  const node = operation.operation.value;
  const root = rootOf(context, operation.file).value;
  const own = isNode(node) && Array.isArray(node.security) ? node.security : undefined;
  const security = own ?? (isNode(root) && Array.isArray(root.security) ? root.security : []);
  const requiresAuth =
    security.length > 0 && security.every((requirement) => isNode(requirement) && Object.keys(requirement).length > 0);
  if (!requiresAuth) return "public";
  return isNode(node) && node["x-access"] === "admin" ? "admin" : "customer-own";
}

/** Says an operation is the admin's: `(admin)` or `admin only` in its summary. */
const ADMIN_SUMMARY = /\(admin\)|\badmin[ -]only\b/i;

/** `access/admin-declared`: an operation its summary calls the admin's carries `x-access: admin`. */
export const adminDeclaredRule: LintRule = {
  id: "access/admin-declared",
  severity: "error",
  checks:
    "An operation whose summary says it is the admin's (`(admin)`, `admin only`) declares it with `x-access: admin`, so the gateway refuses other callers before any handler runs, and the authorization matrix tests it as admin.",
  fix: "Add `x-access: admin` to the operation (with `security: [{ bearerAuth: [] }]`), or reword a summary that is not about access.",
  check(context, report) {
    for (const operation of openApiOperations(context)) {
      const node = operation.operation.value;
      if (!isNode(node) || typeof node.summary !== "string" || !ADMIN_SUMMARY.test(node.summary)) continue;
      if (node["x-access"] === "admin") continue;
      report(
        { file: operation.operation.file, pointer: `${operation.operation.pointer}/summary` },
        `${operation.method.toUpperCase()} ${operation.path} says it is the admin's ("${node.summary}") but has no x-access: admin`,
      );
    }
  },
};

/** `access/rest-rpc-agree`: an operation served over REST and as an RPC has one rule on both. */
export const restRpcAgreeRule: LintRule = {
  id: "access/rest-rpc-agree",
  severity: "error",
  checks:
    "An operation a context serves both over REST and as an RPC (a method of its `rpc` services named as the operationId in PascalCase) has the same rule on both: the OpenAPI `security` and `x-access`, and the `rpcAccess` entry.",
  fix: "Make the two rules the same: change the operation's `security`/`x-access` or the method's `rpcAccess`, and the handler that scopes to the caller.",
  check(context, report) {
    const map = context.contextMap();
    if (!map) return;
    for (const operation of openApiOperations(context)) {
      const node = operation.operation.value;
      const entry = map.contexts.get(contextOfFile(operation.file));
      if (!entry || !isNode(node) || typeof node.operationId !== "string") continue;
      const method = node.operationId.charAt(0).toUpperCase() + node.operationId.slice(1);
      const rest = restRuleOf(context, operation);
      for (const [name, rule] of entry.rpcAccess) {
        if (!name.endsWith(`/${method}`) || rule.value === rest) continue;
        report(
          { file: map.file, pointer: rule.pointer },
          `${name} is ${rule.value} but its REST twin ${operation.method.toUpperCase()} ${operation.path} (${node.operationId}) is ${rest}; give both the same rule`,
        );
      }
    }
  },
};
