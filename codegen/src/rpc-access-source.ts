import type { ContractSet } from "@ecom/contracts";

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The access rule of every RPC method, from each context's `rpcAccess` in contexts.yaml, as a constant the
 * simulator's Connect interceptor enforces (`ecom contracts lint` checks that every method has one).
 */
export function rpcAccessSource(set: ContractSet): string {
  const contexts = isObject(set.contextMap?.value) ? (set.contextMap.value as Json).contexts : undefined;
  const rules: [string, string][] = [];
  for (const context of Object.values(isObject(contexts) ? contexts : {})) {
    if (!isObject(context) || !isObject(context.rpcAccess)) continue;
    for (const [method, rule] of Object.entries(context.rpcAccess))
      if (typeof rule === "string") rules.push([method, rule]);
  }
  rules.sort(([a], [b]) => a.localeCompare(b));
  const lines = rules.map(([method, rule]) => `  ${JSON.stringify(method)}: ${JSON.stringify(rule)},`);
  return [
    "/**",
    " * Who may call an RPC method: `public` (anyone), `customer-own` (a signed-in customer, for their own data),",
    " * `admin` (the admin role) or `internal` (only another context, with the platform's service identity).",
    " */",
    `export type RpcAccessRule = "public" | "customer-own" | "admin" | "internal";`,
    "",
    "/** The access rule of every RPC method, keyed `package.Service/Method` (contexts.yaml `rpcAccess`). */",
    "export const rpcAccess: Readonly<Record<string, RpcAccessRule>> = {",
    ...lines,
    "};",
    "",
  ].join("\n");
}
