import { posix } from "node:path";
import type { ContractFiles } from "../source/contract-files.js";
import { valueAt } from "../source/contract-set.js";
import { parseYamlDocument, type YamlDocument } from "../source/yaml-document.js";
import { CompatError } from "./compat-error.js";

/** What a contract file is, by where it sits in the standard layout. */
export type FileRole = "contexts" | "openapi" | "asyncapi" | "shared" | "proto" | "graphql" | "soap" | "other";

/** The role of `path` (relative to the contracts root), as `loadContractSet` sorts files. */
export function roleOf(path: string): FileRole {
  if (path.startsWith("proto/")) return "proto";
  if (/^graphql\/[^/]+\.graphql$/.test(path)) return "graphql";
  if (/^soap\/[^/]+\.wsdl$/.test(path)) return "soap";
  if (!/\.(ya?ml|json)$/.test(path)) return "other";
  if (path === "contexts.yaml") return "contexts";
  if (/^openapi\/[^/]+$/.test(path)) return "openapi";
  if (/^asyncapi\/[^/]+$/.test(path)) return "asyncapi";
  return "shared";
}

/** Parsed documents shared by both sides of a comparison, so a file with the same text is parsed once. */
export type ParseCache = Map<string, YamlDocument>;

/** A node of a YAML contract: the file it is in, its JSON Pointer there, and its value. */
export interface Located {
  readonly file: string;
  readonly pointer: string;
  readonly value: unknown;
}

/**
 * One side of a comparison: the text of every contract file, read once, and the YAML documents parsed on first
 * use. Parsing lazily is what makes an unchanged tree cheap to compare: nothing that is the same on both sides
 * and refers only to files that are the same is ever parsed.
 */
export class ContractSnapshot {
  /** Every file's text, keyed by path relative to the contracts root. */
  readonly texts: ReadonlyMap<string, string>;
  readonly origin: string;
  readonly #cache: ParseCache;
  readonly #documents = new Map<string, YamlDocument | undefined>();
  readonly #label: string;

  constructor(options: { texts: ReadonlyMap<string, string>; origin: string; label: string; cache: ParseCache }) {
    this.texts = options.texts;
    this.origin = options.origin;
    this.#cache = options.cache;
    this.#label = options.label;
  }

  /** Paths of the files with `role`, sorted. */
  paths(role: FileRole): string[] {
    return [...this.texts.keys()].filter((path) => roleOf(path) === role).sort();
  }

  /** The parsed YAML file at `path`, or undefined when this side has no such file. */
  document(path: string): YamlDocument | undefined {
    // Looked up by path first: keying the shared cache by whole texts costs a hash of the text per lookup.
    if (this.#documents.has(path)) return this.#documents.get(path);
    const text = this.texts.get(path);
    let document: YamlDocument | undefined;
    const role = roleOf(path);
    if (text !== undefined && role !== "proto" && role !== "graphql" && role !== "soap" && role !== "other") {
      const key = `${path}\0${text}`;
      document = this.#cache.get(key);
      if (!document) {
        try {
          document = parseYamlDocument(path, text);
        } catch (error) {
          throw new CompatError(
            "unparsable-contract",
            `${this.#label} (${this.origin}): ${(error as Error).message}. Fix the file, then run again.`,
            { cause: error },
          );
        }
        this.#cache.set(key, document);
      }
    }
    this.#documents.set(path, document);
    return document;
  }

  /** Where `ref`, written in `fromFile`, points; undefined when the file or the node does not exist. */
  resolve(fromFile: string, ref: string): Located | undefined {
    const file = refTargetFile(fromFile, ref);
    if (file === undefined) return undefined;
    const document = this.document(file);
    if (!document) return undefined;
    const hash = ref.indexOf("#");
    const pointer = hash < 0 ? "" : decodeURIComponent(ref.slice(hash + 1));
    const value = valueAt(document.value, pointer);
    return value === undefined ? undefined : { file, pointer, value };
  }

  /**
   * `node`, or what its `$ref` (to a parameter, response, header, request body, channel, message…) points to, followed
   * until a node that is not a reference: a ref that resolves to nothing, or a 33rd hop, stops where it is.
   */
  deref(node: Located): Located {
    let current = node;
    for (let hops = 0; hops < 32; hops++) {
      const value = current.value;
      const ref =
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? (value as Record<string, unknown>).$ref
          : undefined;
      if (typeof ref !== "string") return current;
      const target = this.resolve(current.file, ref);
      if (!target) return current;
      current = target;
    }
    return current;
  }
}

/** The file a `$ref` written in `fromFile` points into; undefined for a URL (never followed). */
export function refTargetFile(fromFile: string, ref: string): string | undefined {
  const hash = ref.indexOf("#");
  const target = hash < 0 ? ref : ref.slice(0, hash);
  if (target === "") return fromFile;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined;
  return posix.normalize(posix.join(posix.dirname(fromFile), target));
}

/** Read every file of `files` once. A git source reads them all with one `git cat-file --batch`. */
export async function readSnapshot(
  files: ContractFiles & { readAll?: () => Promise<Map<string, string>> },
  options: { label: string; cache: ParseCache },
): Promise<ContractSnapshot> {
  let texts: Map<string, string>;
  try {
    if (files.readAll) texts = await files.readAll();
    else {
      const paths = await files.list();
      const contents = await Promise.all(paths.map((path) => files.read(path)));
      texts = new Map(paths.map((path, index) => [path, contents[index] ?? ""]));
    }
  } catch (error) {
    if (error instanceof CompatError) throw error;
    throw new CompatError("unreadable-source", `${options.label}: ${(error as Error).message}`, { cause: error });
  }
  return new ContractSnapshot({ texts, origin: files.origin, label: options.label, cache: options.cache });
}

// Finds the file part of every `$ref` in YAML or JSON text without parsing it: `$ref: "../common/x.yaml#/A"`,
// `"$ref": "#/components/…"`. Used only to decide what may be skipped, so it errs towards finding too much.
const refPattern = /\$ref["']?\s*:\s*["']?([^"'#\s,}]*)/g;

/** Files `text` (the contents of `file`) refers to with `$ref`, itself excluded. */
export function referencedFiles(file: string, text: string): Set<string> {
  const targets = new Set<string>();
  for (const match of text.matchAll(refPattern)) {
    const target = match[1] ?? "";
    if (target === "") continue;
    const resolved = refTargetFile(file, target);
    if (resolved !== undefined && resolved !== file) targets.add(resolved);
  }
  return targets;
}

/**
 * The YAML files whose meaning may differ between the two sides: those whose text differs (or exist on one side
 * only), and every file that refers, directly or through others, to one of them. Any other file, and any node in
 * it, is the same on both sides and need not be compared.
 */
export function dirtyFiles(base: ContractSnapshot, head: ContractSnapshot): Set<string> {
  const paths = new Set([...base.texts.keys(), ...head.texts.keys()]);
  const referrers = new Map<string, Set<string>>();
  const dirty = new Set<string>();
  for (const path of paths) {
    const role = roleOf(path);
    if (role === "proto" || role === "graphql" || role === "soap" || role === "other") continue;
    const baseText = base.texts.get(path);
    const headText = head.texts.get(path);
    if (baseText !== headText) dirty.add(path);
    for (const text of new Set([baseText, headText])) {
      if (text === undefined) continue;
      for (const target of referencedFiles(path, text)) {
        let set = referrers.get(target);
        if (!set) {
          set = new Set();
          referrers.set(target, set);
        }
        set.add(path);
      }
    }
  }
  const queue = [...dirty];
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const referrer of referrers.get(next) ?? []) {
      if (!dirty.has(referrer)) {
        dirty.add(referrer);
        queue.push(referrer);
      }
    }
  }
  return dirty;
}
