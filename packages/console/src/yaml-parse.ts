import { createRequire } from "node:module";

let parse: typeof import("yaml").parse | undefined;

/**
 * yaml's `parse`, loaded on first use: the console reads YAML only when a page asks for the contracts, and the
 * simulator that serves it should not load the parser's seventy-odd modules before it answers /healthz. The
 * routes are synchronous, hence `require` (yaml's Node build is CommonJS either way).
 */
export function parseYaml(text: string): ReturnType<typeof import("yaml").parse> {
  parse ??= (createRequire(import.meta.url)("yaml") as typeof import("yaml")).parse;
  return parse(text);
}
