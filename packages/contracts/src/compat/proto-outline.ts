/** An RPC of a service, as written. */
export interface ProtoRpc {
  readonly name: string;
  readonly line: number;
  readonly input: string;
  readonly output: string;
}

/** A service and its RPCs, with the lines it spans. */
export interface ProtoService {
  readonly name: string;
  /** `ecom.inventory.v1.InventoryService`. */
  readonly fullName: string;
  readonly line: number;
  endLine: number;
  readonly rpcs: ProtoRpc[];
}

/** A message or enum, with the lines it spans and the types its fields use (as written). */
export interface ProtoType {
  readonly fullName: string;
  readonly kind: "message" | "enum";
  readonly line: number;
  endLine: number;
  readonly fieldTypes: string[];
}

/**
 * The outline of one proto file: enough to name services and RPCs (for the deletion rules buf's WIRE categories
 * lack) and to tell which RPCs reach a message (for `consumers`). Not a compiler: buf compiles and judges.
 */
export interface ProtoOutline {
  readonly file: string;
  readonly package: string;
  readonly packageLine: number;
  readonly services: ProtoService[];
  readonly types: ProtoType[];
}

interface Token {
  readonly text: string;
  readonly line: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? "";
    if (char === "\n") {
      line++;
      index++;
    } else if (/\s/.test(char)) index++;
    else if (text.startsWith("//", index)) {
      while (index < text.length && text[index] !== "\n") index++;
    } else if (text.startsWith("/*", index)) {
      const end = text.indexOf("*/", index + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (let cursor = index; cursor < stop; cursor++) if (text[cursor] === "\n") line++;
      index = stop;
    } else if (char === '"' || char === "'") {
      let cursor = index + 1;
      while (cursor < text.length && text[cursor] !== char && text[cursor] !== "\n")
        cursor += text[cursor] === "\\" ? 2 : 1;
      tokens.push({ text: text.slice(index, cursor + 1), line });
      index = cursor + 1;
    } else if (/[A-Za-z0-9_.]/.test(char)) {
      let cursor = index;
      while (cursor < text.length && /[A-Za-z0-9_.]/.test(text[cursor] ?? "")) cursor++;
      tokens.push({ text: text.slice(index, cursor), line });
      index = cursor;
    } else {
      tokens.push({ text: char, line });
      index++;
    }
  }
  return tokens;
}

const isName = (text: string | undefined) => text !== undefined && /^[A-Za-z_.][A-Za-z0-9_.]*$/.test(text);

/** Outline `text`, the contents of proto file `file`. */
export function outlineProto(file: string, text: string): ProtoOutline {
  const tokens = tokenize(text);
  let packageName = "";
  let packageLine = 1;
  const services: ProtoService[] = [];
  const types: ProtoType[] = [];
  type Scope = {
    kind: "message" | "enum" | "service" | "oneof" | "block";
    name: string;
    entry?: ProtoType | ProtoService;
  };
  const stack: Scope[] = [];
  const prefix = () => {
    const names = stack.filter((scope) => scope.kind === "message" || scope.kind === "enum").map((scope) => scope.name);
    return [packageName, ...names].filter(Boolean).join(".");
  };
  const innermostType = () => {
    for (let index = stack.length - 1; index >= 0; index--) {
      const scope = stack[index];
      if (scope?.kind === "message") return scope.entry as ProtoType;
      if (scope?.kind === "service" || scope?.kind === "enum") return undefined;
    }
    return undefined;
  };
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    const next = tokens[index + 1]?.text;
    const top = stack.at(-1);
    if (token.text === "package" && stack.length === 0 && isName(next)) {
      packageName = next ?? "";
      packageLine = token.line;
      index++;
    } else if ((token.text === "message" || token.text === "enum") && isName(next) && tokens[index + 2]?.text === "{") {
      const name = next ?? "";
      const fullName = [prefix(), name].filter(Boolean).join(".");
      const entry: ProtoType = { fullName, kind: token.text, line: token.line, endLine: token.line, fieldTypes: [] };
      types.push(entry);
      stack.push({ kind: token.text, name, entry });
      index += 2;
    } else if (token.text === "service" && stack.length === 0 && isName(next) && tokens[index + 2]?.text === "{") {
      const name = next ?? "";
      const entry: ProtoService = {
        name,
        fullName: [packageName, name].filter(Boolean).join("."),
        line: token.line,
        endLine: token.line,
        rpcs: [],
      };
      services.push(entry);
      stack.push({ kind: "service", name, entry });
      index += 2;
    } else if (token.text === "rpc" && top?.kind === "service" && isName(next)) {
      // rpc Name ( [stream] Input ) returns ( [stream] Output )
      const words: string[] = [];
      let cursor = index + 2;
      while (
        cursor < tokens.length &&
        words.length < 5 &&
        tokens[cursor]?.text !== "{" &&
        tokens[cursor]?.text !== ";"
      ) {
        const text = tokens[cursor]?.text ?? "";
        if (isName(text) && text !== "stream") words.push(text);
        cursor++;
      }
      const [input = "", , output = ""] = words;
      (top.entry as ProtoService).rpcs.push({ name: next ?? "", line: token.line, input, output });
      index = cursor - 1;
    } else if ((token.text === "oneof" || token.text === "extend") && isName(next) && tokens[index + 2]?.text === "{") {
      stack.push({ kind: token.text === "oneof" ? "oneof" : "block", name: next ?? "" });
      index += 2;
    } else if (token.text === "{") {
      stack.push({ kind: "block", name: "" });
    } else if (token.text === "}") {
      const scope = stack.pop();
      if (scope?.entry) scope.entry.endLine = token.line;
    } else if (top && (top.kind === "message" || top.kind === "oneof")) {
      const type = innermostType();
      if (token.text === "map" && next === "<") {
        // map<Key, Value> name = N;
        const value = tokens[index + 4]?.text;
        if (type && isName(value)) type.fieldTypes.push(value ?? "");
        index += 5;
      } else if (
        isName(token.text) &&
        isName(next) &&
        tokens[index + 2]?.text === "=" &&
        !["option", "reserved"].includes(token.text)
      ) {
        if (type) type.fieldTypes.push(token.text);
        index += 2;
      }
    }
  }
  return { file, package: packageName, packageLine, services, types };
}

const scalars = new Set([
  "double",
  "float",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "sint32",
  "sint64",
  "fixed32",
  "fixed64",
  "sfixed32",
  "sfixed64",
  "bool",
  "string",
  "bytes",
]);

/**
 * Which RPCs (`pkg.Service/Method`) reach each message or enum, directly as a request or response or through the
 * fields of those. Type names are resolved loosely (by their last segments), which can only name more callers.
 */
export function rpcsByType(outlines: readonly ProtoOutline[]): Map<string, Set<string>> {
  const types = new Map<string, ProtoType>();
  for (const outline of outlines) for (const type of outline.types) types.set(type.fullName, type);
  const resolve = (name: string): string[] => {
    if (scalars.has(name)) return [];
    const bare = name.replace(/^\./, "");
    if (types.has(bare)) return [bare];
    return [...types.keys()].filter((full) => full.endsWith(`.${bare}`));
  };
  const reached = new Map<string, Set<string>>();
  for (const outline of outlines) {
    for (const service of outline.services) {
      for (const rpc of service.rpcs) {
        const method = `${service.fullName}/${rpc.name}`;
        const queue = [...resolve(rpc.input), ...resolve(rpc.output)];
        const seen = new Set<string>();
        for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
          if (seen.has(name)) continue;
          seen.add(name);
          let set = reached.get(name);
          if (!set) {
            set = new Set();
            reached.set(name, set);
          }
          set.add(method);
          for (const field of types.get(name)?.fieldTypes ?? []) queue.push(...resolve(field));
        }
      }
    }
  }
  return reached;
}
