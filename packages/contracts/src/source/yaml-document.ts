import { isMap, isSeq, LineCounter, parseDocument } from "yaml";

/** A parsed YAML (or JSON) file that still knows the line of every node, addressed by JSON Pointer. */
export interface YamlDocument {
  /** The file's path relative to the contracts root. */
  readonly file: string;
  /** The plain JavaScript value of the document. */
  readonly value: unknown;
  /** The source text, for tools that parse it again themselves (they need it for their own positions). */
  readonly text: string;
  /** 1-based line of the node at `pointer` (RFC 6901); the nearest existing ancestor's line when it is absent. */
  lineOf(pointer: string): number;
}

/** A YAML syntax error, with the file and line it was found at. */
export class YamlSyntaxError extends Error {
  override name = "YamlSyntaxError";
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

/** Split a JSON Pointer (`/paths/~1carts/post`) into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "" || pointer === "/") return [];
  return pointer
    .replace(/^\//, "")
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** Join segments into a JSON Pointer, escaping `~` and `/`. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((segment) => `/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** Parse `text` as YAML 1.2, keeping positions. Throws {@link YamlSyntaxError} on the first syntax error. */
export function parseYamlDocument(file: string, text: string): YamlDocument {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, keepSourceTokens: false, uniqueKeys: true });
  const [firstError] = document.errors;
  if (firstError) {
    const line = firstError.linePos?.[0]?.line ?? 1;
    throw new YamlSyntaxError(file, line, firstError.message.split("\n")[0] ?? "invalid YAML");
  }
  const value: unknown = document.toJS({ maxAliasCount: 1000 });
  return {
    file,
    value,
    text,
    lineOf(pointer) {
      let node: unknown = document.contents;
      let line = 1;
      const lineAt = (candidate: unknown) => {
        const range = (candidate as { range?: [number, number, number] } | null)?.range;
        return range ? lineCounter.linePos(range[0]).line : undefined;
      };
      line = lineAt(node) ?? line;
      for (const segment of pointerSegments(pointer)) {
        if (isMap(node)) {
          const pair = node.items.find(
            (item) => String((item.key as { value?: unknown })?.value ?? item.key) === segment,
          );
          if (!pair) return line;
          // The key's line is where a reader looks for a property, even when its value starts lower down.
          line = lineAt(pair.key) ?? line;
          node = pair.value;
        } else if (isSeq(node)) {
          const item = node.items[Number(segment)];
          if (item === undefined) return line;
          line = lineAt(item) ?? line;
          node = item;
        } else {
          return line;
        }
      }
      return line;
    },
  };
}
