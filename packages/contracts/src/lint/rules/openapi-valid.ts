import type { BaseResolver, Config, Document, NormalizedProblem, Source } from "@redocly/openapi-core";
import { valueAt } from "../../source/contract-set.js";
import type { YamlDocument } from "../../source/yaml-document.js";
import { isNode } from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

/**
 * The Redocly rules that check what the OpenAPI 3.1 specification requires, plus the few structural conventions
 * codegen relies on (every operation has an operationId). Example checks are off here: `example/matches-schema`
 * checks every example with the right JSON Schema dialect, and `ref/resolves` reports broken `$ref`s, so each
 * problem is reported once.
 */
const redoclyRules = {
  struct: "error",
  "no-enum-type-mismatch": "error",
  "no-identical-paths": "error",
  "no-ambiguous-paths": "warn",
  "no-path-trailing-slash": "error",
  "no-server-trailing-slash": "error",
  "no-empty-servers": "error",
  "no-example-value-and-externalValue": "error",
  "no-undefined-server-variable": "error",
  "no-server-variables-empty-enum": "error",
  "no-schema-type-mismatch": "warn",
  "no-required-schema-properties-undefined": "warn",
  "no-unused-components": "warn",
  "operation-operationId": "error",
  "operation-operationId-url-safe": "error",
  "operation-parameters-unique": "error",
  "operation-2xx-response": "error",
  "operation-4xx-response": "warn",
  "operation-summary": "warn",
  "path-declaration-must-exist": "error",
  "path-not-include-query": "error",
  "path-parameters-defined": "error",
  "security-defined": "error",
  "spec-components-invalid-map-name": "error",
} as const;

/** Redocly reads files by absolute path; the contract set's files are given one under this made-up root. */
const virtualRoot = "/ecom-contracts/";

let redocly: Promise<{ core: typeof import("@redocly/openapi-core"); config: Config }> | undefined;

function loadRedocly() {
  redocly ??= (async () => {
    const core = await import("@redocly/openapi-core");
    // No `extends`: exactly the rules above, whatever Redocly's defaults become.
    const config = await core.createConfig({ rules: redoclyRules });
    return { core, config };
  })();
  return redocly;
}

function createResolver(
  core: typeof import("@redocly/openapi-core"),
  documents: (path: string) => YamlDocument | undefined,
): BaseResolver {
  // Serve every file from the contract set, already parsed: nothing is read from disk or parsed twice.
  class ContractSetResolver extends core.BaseResolver {
    override async loadExternalRef(absoluteRef: string): Promise<Source> {
      const document = absoluteRef.startsWith(virtualRoot)
        ? documents(absoluteRef.slice(virtualRoot.length))
        : undefined;
      if (!document) throw new core.ResolveError(new Error(`${absoluteRef} is not in the contract set`));
      return new core.Source(absoluteRef, document.text);
    }
    override parseDocument(source: Source, isRoot?: boolean): Document {
      const document = documents(source.absoluteRef.slice(virtualRoot.length));
      return document ? { source, parsed: document.value } : super.parseDocument(source, isRoot);
    }
  }
  return new ContractSetResolver();
}

/**
 * A WebSocket upgrade (`GET /ws/orders`) succeeds with 101 Switching Protocols, which Redocly's
 * operation-2xx-response does not count as success; such an operation is not missing one.
 */
function switchesProtocols(document: unknown, pointer: string | undefined): boolean {
  if (pointer === undefined) return false;
  const responses = valueAt(document, `${pointer.replace(/\/responses$/, "")}/responses`);
  return isNode(responses) && "101" in responses;
}

/** `openapi/valid`: each OpenAPI document passes Redocly's specification rules. */
export const openapiValid: LintRule = {
  id: "openapi/valid",
  severity: "error",
  checks:
    "Each `openapi/<context>.yaml` is a valid OpenAPI 3.1 document: @redocly/openapi-core's `struct` and other specification rules, external `$ref`s resolved.",
  fix: "Correct the node the message names; the Redocly rule id in brackets links to its documentation (redocly.com/docs/cli/rules).",
  async check(context, report) {
    if (context.set.openapi.size === 0) return;
    const { core, config } = await loadRedocly();
    const resolver = createResolver(core, (path) => context.document(path));
    for (const [file, document] of context.set.openapi) {
      const version = isNode(document.value) ? document.value.openapi : undefined;
      if (typeof version !== "string" || !version.startsWith("3.1")) {
        report(
          { file, pointer: "/openapi" },
          `openapi is ${JSON.stringify(version ?? null)}; the contracts use OpenAPI 3.1: write \`openapi: 3.1.0\``,
        );
        continue;
      }
      const source = new core.Source(virtualRoot + file, document.text);
      let problems: NormalizedProblem[];
      try {
        problems = await core.lintDocument({
          document: { source, parsed: document.value },
          config: config.styleguide,
          externalRefResolver: resolver,
        });
      } catch (error) {
        report({ file, line: 1 }, `Redocly could not lint this document: ${(error as Error).message}; fix it`);
        continue;
      }
      for (const problem of problems) {
        if (problem.ignored) continue;
        const [location] = problem.location;
        const where = location?.source.absoluteRef.startsWith(virtualRoot)
          ? location.source.absoluteRef.slice(virtualRoot.length)
          : file;
        const pointer = location?.pointer?.replace(/^#/, "");
        if (problem.ruleId === "operation-2xx-response" && switchesProtocols(context.document(where)?.value, pointer)) {
          continue;
        }
        report(
          {
            file: where,
            ...(pointer !== undefined ? { pointer } : {}),
            ...(location && location.pointer === undefined ? { line: location.start.line } : {}),
          },
          `${problem.message} [${problem.ruleId}]`,
          problem.severity === "error" ? "error" : "warning",
        );
      }
    }
  },
};
