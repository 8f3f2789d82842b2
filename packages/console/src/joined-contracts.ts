import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseYaml } from "./yaml-parse.js";

/**
 * Every context's contract joined into one document, for tools that take a single file (Scalar, Redoc, Postman,
 * generators). Components are renamed `<context>.<Name>` (and the shared files' `common.<Name>`) so that two
 * contexts' `Problem` or `Order` never collide, and every `$ref` is rewritten to point into the one document.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The contract files a join reads: each context's document, keyed by context, and the shared files by path. */
interface ContractFolder {
  readonly contexts: ReadonlyMap<string, JsonObject>;
  readonly shared: ReadonlyMap<string, JsonObject>;
}

function readFolder(contractsDir: string, kind: "openapi" | "asyncapi"): ContractFolder {
  const contexts = new Map<string, JsonObject>();
  for (const file of readdirSync(join(contractsDir, kind)).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    contexts.set(file.replace(/\.ya?ml$/, ""), parseYaml(readFileSync(join(contractsDir, kind, file), "utf8")));
  }
  const shared = new Map<string, JsonObject>();
  for (const file of readdirSync(join(contractsDir, "common")).sort()) {
    if (/\.ya?ml$/.test(file))
      shared.set(`common/${file}`, parseYaml(readFileSync(join(contractsDir, "common", file), "utf8")));
  }
  return { contexts, shared };
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The sections of a document whose entries are renamed with their owner's prefix. */
interface Renaming {
  /** Sections of a context's own document, as JSON Pointer prefixes: `components/schemas`, `channels`, … */
  readonly sections: (document: JsonObject) => string[][];
  /** Where a shared file's entries land in the joined document: `common/schemas.yaml#/Money` → components/schemas. */
  readonly sharedTarget: (file: string, segments: string[]) => { section: string[]; name: string; rest: string[] };
}

/**
 * Rewrite every `$ref` under `node` (a part of `file`, owned by `owner`) to a local pointer into the joined
 * document, and collect each shared entry reached (by file and name) so it is copied in once.
 */
function rewriteRefs(
  node: Json,
  file: string,
  owner: string,
  renaming: Renaming,
  ownSections: string[][],
  reached: Map<string, { file: string; name: string; section: string[] }>,
): Json {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, file, owner, renaming, ownSections, reached));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$ref" && typeof value === "string") {
      out[key] = rewriteRef(value, file, owner, renaming, ownSections, reached);
    } else out[key] = rewriteRefs(value, file, owner, renaming, ownSections, reached);
  }
  return out;
}

const unescapePointer = (segment: string) => decodeURIComponent(segment).replace(/~1/g, "/").replace(/~0/g, "~");
const escapePointer = (segment: string) => segment.replace(/~/g, "~0").replace(/\//g, "~1");
const pointer = (segments: string[]) => `#/${segments.map(escapePointer).join("/")}`;

function rewriteRef(
  ref: string,
  file: string,
  owner: string,
  renaming: Renaming,
  ownSections: string[][],
  reached: Map<string, { file: string; name: string; section: string[] }>,
): string {
  const [target = "", fragment = ""] = ref.split("#", 2);
  const segments = fragment.split("/").filter(Boolean).map(unescapePointer);
  const targetFile = target === "" ? file : join(file, "..", target).replace(/\\/g, "/");
  if (targetFile.startsWith("common/")) {
    const { section, name, rest } = renaming.sharedTarget(targetFile, segments);
    reached.set(`${targetFile}#${section.join("/")}/${name}`, { file: targetFile, name, section });
    return pointer([...section, `common.${name}`, ...rest]);
  }
  if (target !== "") throw new Error(`${file}: cannot join a $ref to ${ref}; only common/ files are shared`);
  const section = ownSections.find((prefix) => prefix.every((part, index) => segments[index] === part));
  if (!section || segments.length <= section.length) return ref;
  const name = segments[section.length]!;
  return pointer([...section, `${owner}.${name}`, ...segments.slice(section.length + 1)]);
}

function setAt(document: JsonObject, section: string[], name: string, value: Json): void {
  let node = document;
  for (const part of section) {
    if (!isObject(node[part])) node[part] = {};
    node = node[part] as JsonObject;
  }
  node[name] = value;
}

/** Copy every shared entry reached into the joined document (following the refs those entries hold in turn). */
function copyShared(
  joined: JsonObject,
  folder: ContractFolder,
  renaming: Renaming,
  reached: Map<string, { file: string; name: string; section: string[] }>,
): void {
  const copied = new Set<string>();
  for (
    let pending = [...reached.keys()];
    pending.length > 0;
    pending = [...reached.keys()].filter((key) => !copied.has(key))
  ) {
    for (const key of pending) {
      copied.add(key);
      const { file, name, section } = reached.get(key)!;
      const source = folder.shared.get(file);
      const sourceSection = file.endsWith("openapi.yaml") ? [section[section.length - 1]!] : [];
      let value: Json | undefined = source;
      for (const part of [...sourceSection, name]) value = isObject(value) ? value[part] : undefined;
      if (value === undefined) throw new Error(`${file} has no ${[...sourceSection, name].join("/")}`);
      setAt(joined, section, `common.${name}`, rewriteRefs(value, file, "common", renaming, [], reached));
    }
  }
}

const openApiRenaming: Renaming = {
  sections: (document) =>
    Object.keys(isObject(document.components) ? document.components : {}).map((kind) => ["components", kind]),
  sharedTarget: (file, segments) =>
    file.endsWith("schemas.yaml")
      ? { section: ["components", "schemas"], name: segments[0]!, rest: segments.slice(1) }
      : { section: ["components", segments[0]!], name: segments[1]!, rest: segments.slice(2) },
};

/** Join every `openapi/<context>.yaml` of `contractsDir` into one OpenAPI 3.1 document served from `serverUrl`. */
export function joinOpenApi(contractsDir: string, serverUrl = "/"): JsonObject {
  const folder = readFolder(contractsDir, "openapi");
  const reached = new Map<string, { file: string; name: string; section: string[] }>();
  const joined: JsonObject = {
    openapi: "3.1.0",
    info: {
      title: "ecom platform",
      version: "1.0.0",
      description:
        "Every context's REST contract (contracts/openapi/*.yaml) in one document. Components are named " +
        "`<context>.<Name>`, and those of contracts/common `common.<Name>`, so that no two collide.",
    },
    servers: [{ url: serverUrl, description: "this simulator" }],
    // As in every context's document: public unless an operation asks for a scheme.
    security: [],
    tags: [],
    paths: {},
    components: { securitySchemes: {} },
    "x-tagGroups": [],
  };
  for (const [context, document] of folder.contexts) {
    const file = `openapi/${context}.yaml`;
    const sections = openApiRenaming.sections(document);
    const rewritten = rewriteRefs(document, file, context, openApiRenaming, sections, reached) as JsonObject;
    for (const [path, item] of Object.entries(isObject(rewritten.paths) ? rewritten.paths : {})) {
      if ((joined.paths as JsonObject)[path]) throw new Error(`${file}: path ${path} is also another context's`);
      (joined.paths as JsonObject)[path] = item;
    }
    const tags = Array.isArray(rewritten.tags) ? rewritten.tags : [];
    (joined.tags as Json[]).push(...tags);
    (joined["x-tagGroups"] as Json[]).push({
      name: context,
      tags: tags.flatMap((tag) => (isObject(tag) && typeof tag.name === "string" ? [tag.name] : [])),
    });
    for (const [kind, entries] of Object.entries(isObject(rewritten.components) ? rewritten.components : {})) {
      if (!isObject(entries)) continue;
      for (const [name, value] of Object.entries(entries)) {
        // Security requirements name their scheme, not a $ref: schemes keep their names (they are the shared ones).
        if (kind === "securitySchemes") {
          const scheme = isObject(value) && typeof value.$ref === "string" ? undefined : value;
          if (scheme !== undefined) setAt(joined, ["components", kind], name, scheme);
          else setAt(joined, ["components", kind], name, { $ref: (value as JsonObject).$ref as string });
        } else setAt(joined, ["components", kind], `${context}.${name}`, value);
      }
    }
  }
  copyShared(joined, folder, openApiRenaming, reached);
  // A scheme given as a $ref to the shared one becomes the shared scheme itself, under its own name.
  const schemes = (joined.components as JsonObject).securitySchemes as JsonObject;
  for (const [name, value] of Object.entries(schemes)) {
    if (isObject(value) && typeof value.$ref === "string") {
      const sharedName = value.$ref.split("/").pop()!;
      schemes[name] = schemes[sharedName] ?? value;
      if (sharedName !== name) delete schemes[sharedName];
    }
  }
  return joined;
}

const asyncApiRenaming: Renaming = {
  sections: (document) => [
    ["channels"],
    ["operations"],
    ...Object.keys(isObject(document.components) ? document.components : {}).map((kind) => ["components", kind]),
  ],
  sharedTarget: (file, segments) =>
    file.endsWith("schemas.yaml")
      ? { section: ["components", "schemas"], name: segments[0]!, rest: segments.slice(1) }
      : { section: ["components", segments[0]!], name: segments[1]!, rest: segments.slice(2) },
};

/** Join every `asyncapi/<context>.yaml` of `contractsDir` into one AsyncAPI 3.0 document. */
export function joinAsyncApi(contractsDir: string): JsonObject {
  const folder = readFolder(contractsDir, "asyncapi");
  const reached = new Map<string, { file: string; name: string; section: string[] }>();
  const joined: JsonObject = {
    asyncapi: "3.0.0",
    info: {
      title: "ecom platform events",
      version: "1.0.0",
      description:
        "Every context's events and commands (contracts/asyncapi/*.yaml) in one document. Channels, operations " +
        "and components are named `<context>.<name>`, and the shared schemas `common.<Name>`.",
    },
    defaultContentType: "application/json",
    channels: {},
    operations: {},
    components: {},
  };
  for (const [context, document] of folder.contexts) {
    const file = `asyncapi/${context}.yaml`;
    const sections = asyncApiRenaming.sections(document);
    const rewritten = rewriteRefs(document, file, context, asyncApiRenaming, sections, reached) as JsonObject;
    for (const section of sections) {
      let entries: Json | undefined = rewritten;
      for (const part of section) entries = isObject(entries) ? entries[part] : undefined;
      if (!isObject(entries)) continue;
      for (const [name, value] of Object.entries(entries)) setAt(joined, section, `${context}.${name}`, value);
    }
  }
  copyShared(joined, folder, asyncApiRenaming, reached);
  return joined;
}
