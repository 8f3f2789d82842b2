import { createRequire } from "node:module";
import type { Parser } from "@asyncapi/parser";
import { toPointer } from "../../source/yaml-document.js";
import { isNode } from "../contract-walk.js";
import type { LintContext, LintRule } from "../lint-rule.js";

const require = createRequire(import.meta.url);

/**
 * The parser reads `$ref`ed files through a resolver of ours, so it sees the contract set (a folder or a git
 * revision) rather than the disk. Each run gets its own root under this made-up absolute path.
 */
const virtualRoot = "/ecom-contracts";
const runs = new Map<string, LintContext>();
let runCount = 0;

function splitVirtualPath(path: string): { run: string; file: string } | undefined {
  const match = /^\/ecom-contracts\/([^/]+)\/(.+)$/.exec(path);
  return match ? { run: match[1]!, file: match[2]! } : undefined;
}

/**
 * Spectral (inside the parser) keeps its compiled JSON Schema validators per parsed document, so every document
 * pays again for compiling the AsyncAPI meta-schema: about half a second each. Sharing one set of ajv instances
 * across documents makes the second and later documents about 20 times faster. The shared instances also cache
 * schemas by `$id`, so two documents that give different schemas the same `$id` would see the first one; the
 * contracts use no `$id`. If a Spectral release moves this module, the lint stays correct, only slower.
 */
function shareSpectralValidators(): void {
  try {
    const requireFromParser = createRequire(require.resolve("@asyncapi/parser"));
    const ajvModule = requireFromParser("@stoplight/spectral-functions/dist/schema/ajv.js") as {
      createAjvInstances?: () => unknown;
    };
    const create = ajvModule.createAjvInstances;
    if (typeof create !== "function") return;
    let shared: unknown;
    ajvModule.createAjvInstances = () => {
      shared ??= create();
      return shared;
    };
  } catch {
    // Not where we expect it: keep the default (per-document) behaviour.
  }
}

let parser: Promise<Parser> | undefined;

function getParser(): Promise<Parser> {
  parser ??= (async () => {
    shareSpectralValidators();
    const { Parser } = await import("@asyncapi/parser");
    return new Parser({
      __unstable: {
        resolver: {
          resolvers: [
            {
              schema: "file",
              order: 1,
              canRead: (uri) => splitVirtualPath(uri.path()) !== undefined,
              read(uri) {
                const where = splitVirtualPath(uri.path());
                const text = where && runs.get(where.run)?.document(where.file)?.text;
                if (text === undefined) throw new Error(`${where?.file ?? uri.path()} is not in the contract set`);
                return text;
              },
            },
          ],
        },
      },
    });
  })();
  return parser;
}

/** Diagnostic codes another rule reports better: `ref/resolves` names every broken `$ref` once. */
const ignoredCodes = new Set(["invalid-ref", "asyncapi-latest-version"]);

/** `asyncapi/parse`: each AsyncAPI document parses and validates with @asyncapi/parser. */
export const asyncapiParse: LintRule = {
  id: "asyncapi/parse",
  severity: "error",
  checks: "Each `asyncapi/<context>.yaml` is a valid AsyncAPI 3.0 document, per @asyncapi/parser's errors.",
  fix: "Correct the node the message names; the rule code in brackets is the parser's (AsyncAPI 3.0 spec).",
  async check(context, report) {
    if (context.set.asyncapi.size === 0) return;
    const asyncapi = await getParser();
    const run = String(++runCount);
    runs.set(run, context);
    try {
      for (const [file, document] of context.set.asyncapi) {
        const version = isNode(document.value) ? document.value.asyncapi : undefined;
        if (typeof version !== "string" || !version.startsWith("3.")) {
          report(
            { file, pointer: "/asyncapi" },
            `asyncapi is ${JSON.stringify(version ?? null)}; the contracts use AsyncAPI 3.0: write \`asyncapi: 3.0.0\``,
          );
          continue;
        }
        let diagnostics: Awaited<ReturnType<Parser["parse"]>>["diagnostics"];
        try {
          ({ diagnostics } = await asyncapi.parse(document.text, { source: `${virtualRoot}/${run}/${file}` }));
        } catch (error) {
          // The parser gave up on this document (it should report, not throw); say so and lint the others.
          report(
            { file, line: 1 },
            `@asyncapi/parser could not parse this document: ${(error as Error).message}; fix it`,
          );
          continue;
        }
        for (const diagnostic of diagnostics) {
          if (diagnostic.severity !== 0 || ignoredCodes.has(String(diagnostic.code))) continue;
          const where = diagnostic.source ? splitVirtualPath(diagnostic.source) : undefined;
          const target = where?.file ?? file;
          const pointer = toPointer(diagnostic.path.map(String));
          // The parser's range is often the enclosing object; our line of the pointer is the node itself.
          report(
            context.document(target)
              ? { file: target, pointer }
              : { file: target, pointer, line: diagnostic.range.start.line + 1 },
            `${diagnostic.message} [${String(diagnostic.code)}]`,
          );
        }
      }
    } finally {
      runs.delete(run);
    }
  },
};
