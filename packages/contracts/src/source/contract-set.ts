import { posix } from "node:path";
import type { ContractFiles } from "./contract-files.js";
import { parseYamlDocument, pointerSegments, type YamlDocument } from "./yaml-document.js";

/**
 * Every contract of one version of the platform, parsed: the context map, the OpenAPI and AsyncAPI documents,
 * the shared schema files they reference, and the list of proto files (which buf reads itself).
 */
export interface ContractSet {
  readonly files: ContractFiles;
  /** `contexts.yaml`, when the set has one. */
  readonly contextMap: YamlDocument | undefined;
  /** `openapi/<context>.yaml`, keyed by path. */
  readonly openapi: ReadonlyMap<string, YamlDocument>;
  /** `asyncapi/<context>.yaml`, keyed by path. */
  readonly asyncapi: ReadonlyMap<string, YamlDocument>;
  /** Every other YAML/JSON file (`common/schemas.yaml`, …), keyed by path; reached through `$ref`s. */
  readonly shared: ReadonlyMap<string, YamlDocument>;
  /** Paths of the `.proto` files, below `proto/`. */
  readonly proto: readonly string[];
  /** GraphQL schemas (SDL), `graphql/<context>.graphql`, keyed by path: the text as written (graphql-js parses it). */
  readonly graphql: ReadonlyMap<string, string>;
  /**
   * The operations the SDK ships for a GraphQL contract, `graphql/operations/<context>.graphql` (checked against that
   * context's schema), keyed by path.
   */
  readonly graphqlOperations: ReadonlyMap<string, string>;
  /** WSDL 1.1 contracts of the SOAP services a context calls, `soap/<context>.wsdl`, keyed by path: the text as written. */
  readonly soap: ReadonlyMap<string, string>;
}

const isYaml = (path: string) => /\.(ya?ml|json)$/.test(path);

/** The context name a contract file stands for: `openapi/cart.yaml` → `cart`. */
export function contextOfFile(path: string): string {
  return posix.basename(path).replace(/\.(ya?ml|json|graphql|wsdl)$/, "");
}

/** Read and parse every contract file of `files`. YAML syntax errors throw, naming the file and line. */
export async function loadContractSet(files: ContractFiles): Promise<ContractSet> {
  const paths = await files.list();
  const openapi = new Map<string, YamlDocument>();
  const asyncapi = new Map<string, YamlDocument>();
  const shared = new Map<string, YamlDocument>();
  let contextMap: YamlDocument | undefined;
  for (const path of paths) {
    if (!isYaml(path) || path.startsWith("proto/")) continue;
    const document = parseYamlDocument(path, await files.read(path));
    if (path === "contexts.yaml") contextMap = document;
    else if (path.startsWith("openapi/") && !path.slice("openapi/".length).includes("/")) openapi.set(path, document);
    else if (path.startsWith("asyncapi/") && !path.slice("asyncapi/".length).includes("/"))
      asyncapi.set(path, document);
    else shared.set(path, document);
  }
  const proto = paths.filter((path) => path.startsWith("proto/") && path.endsWith(".proto"));
  const graphql = new Map<string, string>();
  const graphqlOperations = new Map<string, string>();
  const soap = new Map<string, string>();
  for (const path of paths) {
    if (/^graphql\/[^/]+\.graphql$/.test(path)) graphql.set(path, await files.read(path));
    else if (/^graphql\/operations\/[^/]+\.graphql$/.test(path)) graphqlOperations.set(path, await files.read(path));
    else if (/^soap\/[^/]+\.wsdl$/.test(path)) soap.set(path, await files.read(path));
  }
  return { files, contextMap, openapi, asyncapi, shared, proto, graphql, graphqlOperations, soap };
}

/** Every parsed document of a set, keyed by path. */
export function allDocuments(set: ContractSet): Map<string, YamlDocument> {
  const all = new Map<string, YamlDocument>();
  for (const map of [set.openapi, set.asyncapi, set.shared]) for (const [path, doc] of map) all.set(path, doc);
  if (set.contextMap) all.set(set.contextMap.file, set.contextMap);
  return all;
}

/** Where a `$ref` points: the file, the JSON Pointer inside it, and the value found there (undefined if none). */
export interface ResolvedRef {
  readonly file: string;
  readonly pointer: string;
  readonly value: unknown;
}

/** Read the value at `pointer` in `value`, or undefined. */
export function valueAt(value: unknown, pointer: string): unknown {
  let node = value;
  for (const segment of pointerSegments(pointer)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * Resolve `ref` (as written in `fromFile`) against the set: `#/components/schemas/X` stays in the file,
 * `../common/schemas.yaml#/Money` goes to another. Returns undefined for a file the set does not hold.
 */
export function resolveRef(set: ContractSet, fromFile: string, ref: string): ResolvedRef | undefined {
  const [target = "", fragment = ""] = ref.split("#", 2);
  const file = target === "" ? fromFile : posix.normalize(posix.join(posix.dirname(fromFile), target));
  const document = allDocuments(set).get(file);
  if (!document) return undefined;
  const pointer = decodeURIComponent(fragment);
  return { file, pointer, value: valueAt(document.value, pointer) };
}
