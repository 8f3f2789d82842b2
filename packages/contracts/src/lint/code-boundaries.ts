import { readdir, readFile } from "node:fs/promises";
import { join, posix, relative, sep } from "node:path";
import type { ContextMapModel } from "./context-map-model.js";
import type { Finding } from "./finding.js";

/** The rules that check the services' code against the context map, with what the README says of each. */
export const codeRules = [
  {
    id: "code/context-import",
    checks:
      "No file of a context's folder imports another context's folder (its store, rules or handlers); contexts meet only through RPC clients and events.",
    fix: "Call the other context through `runtime.rpc.<context>` (if contexts.yaml allows it) or react to its events; move shared, context-free code to a neutral folder.",
  },
  {
    id: "code/rpc-call-allowed",
    checks:
      "Every `rpc.<context>.<method>(…)` call in a context's code targets a context in its `dependsOn` and a method in its `calls`.",
    fix: "Add the context to `dependsOn` and the method to `calls` in contexts.yaml (if the dependency is wanted), or remove the call.",
  },
] as const;

const IMPORT = /(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
// `rpc.inventory.reserveStock(`, also split over lines (`rpc.payment\n  .refund(`); a bare `rpc.inventory` (a client
// passed around) is checked against dependsOn only.
const RPC_CALL = /\brpc\.([a-z][a-zA-Z]*)\b(?:\s*\.\s*([a-z][a-zA-Z0-9]*)\s*\()?/g;

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

const lineAt = (text: string, index: number) => text.slice(0, index).split("\n").length;
const lowerFirst = (name: string) => `${name[0]?.toLowerCase() ?? ""}${name.slice(1)}`;

/**
 * Check the services' code against the context map: `codeDir` holds one folder per context, named as in
 * contexts.yaml (`packages/services/src/cart/`). Findings name files relative to `codeDir`.
 */
export async function lintContextCode(codeDir: string, map: ContextMapModel): Promise<Finding[]> {
  const findings: Finding[] = [];
  const names = new Set(map.contexts.keys());
  for (const [name, context] of map.contexts) {
    const folder = join(codeDir, name);
    const allowed = new Set(context.dependsOn.map((entry) => entry.value));
    // `ecom.inventory.v1.InventoryService/ReserveStock` → the client call `rpc.inventory.reserveStock`.
    const calls = new Set(
      context.calls.map((entry) => {
        const [service = "", method = ""] = entry.value.split("/");
        return `${service.split(".")[1] ?? ""}.${lowerFirst(method)}`;
      }),
    );
    for (const file of await sourceFiles(folder)) {
      const text = await readFile(file, "utf8");
      const path = relative(codeDir, file).split(sep).join("/");
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[1] ?? match[2] ?? "";
        if (!specifier.startsWith(".")) continue;
        const target = posix.normalize(posix.join(posix.dirname(path), specifier)).split("/")[0] ?? "";
        if (target !== name && names.has(target)) {
          findings.push({
            ruleId: "code/context-import",
            severity: "error",
            file: path,
            // The match may start with the whitespace before `import`.
            line: lineAt(text, (match.index ?? 0) + match[0].search(/\S/)),
            message: `${name} imports ${specifier}, which is the ${target} context's own code; reach ${target} through runtime.rpc.${target} or its events.`,
          });
        }
      }
      for (const match of text.matchAll(RPC_CALL)) {
        const [, target = "", method = ""] = match;
        if (!names.has(target)) continue;
        const line = lineAt(text, match.index ?? 0);
        if (!allowed.has(target)) {
          findings.push({
            ruleId: "code/rpc-call-allowed",
            severity: "error",
            file: path,
            line,
            message: `${name} calls ${target} (rpc.${target}.${method}), but contexts.yaml does not list ${target} in ${name}'s dependsOn; add it there if the dependency is wanted.`,
          });
        } else if (method && !calls.has(`${target}.${method}`)) {
          findings.push({
            ruleId: "code/rpc-call-allowed",
            severity: "error",
            file: path,
            line,
            message: `${name} calls rpc.${target}.${method}, which is not among ${name}'s calls in contexts.yaml; list the method there.`,
          });
        }
      }
    }
  }
  return findings;
}
