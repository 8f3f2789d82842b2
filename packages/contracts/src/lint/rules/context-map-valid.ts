import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { contextOfFile } from "../../source/contract-set.js";
import { pointerSegments, toPointer } from "../../source/yaml-document.js";
import type { LintRule } from "../lint-rule.js";
import { at, mapFile, withMap } from "./context-map-shared.js";

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
