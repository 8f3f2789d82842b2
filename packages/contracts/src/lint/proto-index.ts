/** A service declared in a `.proto` file, with its methods and where each is declared. */
export interface ProtoService {
  /** Fully qualified: `ecom.inventory.v1.InventoryService`. */
  readonly fullName: string;
  readonly package: string;
  readonly file: string;
  readonly line: number;
  /** Method name → line. */
  readonly methods: ReadonlyMap<string, number>;
}

/** A proto file's package and the line of its `package` statement. */
export interface ProtoPackage {
  readonly file: string;
  readonly name: string;
  readonly line: number;
}

/** What the proto files declare, as far as the context map cares: packages, services and their methods. */
export interface ProtoIndex {
  readonly packages: readonly ProtoPackage[];
  /** Keyed by fully qualified service name. */
  readonly services: ReadonlyMap<string, ProtoService>;
}

/**
 * Blank out comments and string literals, keeping every newline, so that a scan for declarations neither matches
 * inside them nor loses line numbers.
 */
function blankCommentsAndStrings(text: string): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    const next = text[index + 1];
    if (char === "/" && next === "/") {
      const end = text.indexOf("\n", index);
      const stop = end === -1 ? text.length : end;
      out += " ".repeat(stop - index);
      index = stop;
    } else if (char === "/" && next === "*") {
      const end = text.indexOf("*/", index + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(index, stop).replace(/[^\n]/g, " ");
      index = stop;
    } else if (char === '"' || char === "'") {
      let stop = index + 1;
      while (stop < text.length && text[stop] !== char && text[stop] !== "\n") stop += text[stop] === "\\" ? 2 : 1;
      stop = Math.min(stop + 1, text.length);
      out += char + " ".repeat(Math.max(0, stop - index - 2)) + (stop - index >= 2 ? char : "");
      index = stop;
    } else {
      out += char;
      index += 1;
    }
  }
  return out;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (text.charCodeAt(index) === 10) line++;
  return line;
}

/**
 * Index the services and methods of proto files by scanning their text. A full parse is buf's job (and
 * `proto/buf-lint` reports files that do not compile); the context map only needs names and lines, and scanning
 * spares a second buf run.
 */
export function indexProtoFiles(sources: ReadonlyMap<string, string>): ProtoIndex {
  const packages: ProtoPackage[] = [];
  const services = new Map<string, ProtoService>();
  for (const [file, source] of sources) {
    const text = blankCommentsAndStrings(source);
    const packageMatch = /\bpackage\s+([A-Za-z_][\w.]*)\s*;/.exec(text);
    const packageName = packageMatch?.[1] ?? "";
    if (packageMatch) packages.push({ file, name: packageName, line: lineAt(text, packageMatch.index) });
    for (const serviceMatch of text.matchAll(/\bservice\s+([A-Za-z_]\w*)\s*\{/g)) {
      const bodyStart = serviceMatch.index + serviceMatch[0].length;
      let depth = 1;
      let bodyEnd = bodyStart;
      while (bodyEnd < text.length && depth > 0) {
        if (text[bodyEnd] === "{") depth++;
        else if (text[bodyEnd] === "}") depth--;
        bodyEnd++;
      }
      const body = text.slice(bodyStart, bodyEnd);
      const methods = new Map<string, number>();
      for (const rpcMatch of body.matchAll(/\brpc\s+([A-Za-z_]\w*)\s*\(/g)) {
        methods.set(rpcMatch[1]!, lineAt(text, bodyStart + rpcMatch.index));
      }
      const name = serviceMatch[1]!;
      const fullName = packageName ? `${packageName}.${name}` : name;
      services.set(fullName, {
        fullName,
        package: packageName,
        file,
        line: lineAt(text, serviceMatch.index),
        methods,
      });
    }
  }
  return { packages, services };
}
