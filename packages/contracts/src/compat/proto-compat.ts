import { runBufBreaking } from "./buf-breaking.js";
import type { CompareContext } from "./compare-context.js";
import type { ContractSnapshot } from "./contract-snapshot.js";
import { outlineProto, type ProtoOutline, rpcsByType } from "./proto-outline.js";

/** The proto module of one side: its files (paths relative to `proto/`, buf.yaml included). */
function moduleOf(snapshot: ContractSnapshot): Map<string, string> {
  const files = new Map<string, string>();
  for (const path of snapshot.paths("proto")) files.set(path.slice("proto/".length), snapshot.texts.get(path) ?? "");
  return files;
}

const protoFiles = (module: ReadonlyMap<string, string>) =>
  [...module.keys()].filter((path) => path.endsWith(".proto"));

/**
 * Compare the protobuf contracts: buf's configured breaking rules (FILE in the ecom contracts) through the
 * bundled buf binary, plus ecom's own service and RPC deletion rules, which hold whatever category buf.yaml
 * configures (buf's WIRE and WIRE_JSON categories do not report deletions). Nothing runs when every proto file
 * is byte-identical on both sides.
 */
export async function compareProto(context: CompareContext, options: { bufPath?: string } = {}): Promise<void> {
  const base = moduleOf(context.base);
  const head = moduleOf(context.head);
  if (base.size === head.size && [...base].every(([path, text]) => head.get(path) === text)) return;
  const baseOutlines = protoFiles(base).map((path) => outlineProto(`proto/${path}`, base.get(path) ?? ""));
  const headOutlines = protoFiles(head).map((path) => outlineProto(`proto/${path}`, head.get(path) ?? ""));
  const consumers = () => context.consumers();

  const headServices = new Map(
    headOutlines.flatMap((outline) => outline.services.map((service) => [service.fullName, { outline, service }])),
  );
  const baseServices = new Map(
    baseOutlines.flatMap((outline) => outline.services.map((service) => [service.fullName, { outline, service }])),
  );
  const reported = new Set<string>();
  for (const [fullName, { outline, service }] of baseServices) {
    const now = headServices.get(fullName);
    if (!now) {
      reported.add(service.name);
      const where = removedAt(context, outline, headOutlines, service.line);
      emit(context, "service-removed", {
        ...where,
        pointer: fullName,
        message: `service ${fullName} removed; its callers fail`,
        consumers: consumers().callersOfService(fullName),
      });
      continue;
    }
    for (const rpc of service.rpcs) {
      if (now.service.rpcs.some((candidate) => candidate.name === rpc.name)) continue;
      reported.add(`${service.name}/${rpc.name}`);
      emit(context, "rpc-removed", {
        side: "head",
        file: now.outline.file,
        line: now.service.line,
        pointer: `${fullName}.${rpc.name}`,
        message: `rpc ${fullName}/${rpc.name} removed; its callers fail`,
        consumers: consumers().callersOf(`${fullName}/${rpc.name}`),
      });
    }
  }
  for (const [fullName, { outline, service }] of headServices) {
    const before = baseServices.get(fullName);
    if (!before) {
      emit(context, "service-added", {
        side: "head",
        file: outline.file,
        line: service.line,
        pointer: fullName,
        message: `service ${fullName} added`,
      });
      continue;
    }
    for (const rpc of service.rpcs) {
      if (before.service.rpcs.some((candidate) => candidate.name === rpc.name)) continue;
      emit(context, "rpc-added", {
        side: "head",
        file: outline.file,
        line: rpc.line,
        pointer: `${fullName}.${rpc.name}`,
        message: `rpc ${fullName}/${rpc.name} added`,
      });
    }
  }

  if (protoFiles(base).length === 0) return;
  if (protoFiles(head).length === 0) {
    // buf refuses a module without proto files; say what its FILE_NO_DELETE would have said.
    for (const outline of baseOutlines) {
      context.emit({
        ruleId: "proto/FILE_NO_DELETE",
        kind: "proto",
        side: "base",
        file: outline.file,
        line: 1,
        pointer: "",
        message: `Previously present file "${outline.file.slice("proto/".length)}" was deleted.`,
        consumers: outline.services.flatMap((service) => consumers().callersOfService(service.fullName)),
      });
    }
    return;
  }
  const issues = await runBufBreaking({ base, head, ...(options.bufPath ? { bufPath: options.bufPath } : {}) });
  let reach: Map<string, Set<string>> | undefined;
  for (const issue of issues) {
    if (duplicatesOwnRule(issue.rule, issue.message, reported)) continue;
    const file = `proto/${issue.path}`;
    reach ??= rpcsByType([...headOutlines, ...baseOutlines]);
    const { pointer, methods } = elementAt(headOutlines, file, issue.line, reach);
    context.emit({
      ruleId: `proto/${issue.rule}`,
      kind: "proto",
      side: "head",
      file,
      line: issue.line,
      pointer,
      message: issue.message,
      consumers: [...new Set([...methods].flatMap((method) => consumers().callersOf(method)))].sort(),
    });
  }
}

/** buf's SERVICE_NO_DELETE and RPC_NO_DELETE for an element ecom's own rules already reported. */
function duplicatesOwnRule(rule: string, message: string, reported: ReadonlySet<string>): boolean {
  const quoted = [...message.matchAll(/"([^"]+)"/g)].map((match) => match[1]);
  if (rule === "SERVICE_NO_DELETE") return reported.has(quoted[0] ?? "");
  if (rule === "RPC_NO_DELETE") return reported.has(`${quoted[1] ?? ""}/${quoted[0] ?? ""}`);
  return false;
}

/** The innermost message, enum or service around `line` of `file`, and the RPCs that reach it. */
function elementAt(
  outlines: readonly ProtoOutline[],
  file: string,
  line: number,
  reach: ReadonlyMap<string, ReadonlySet<string>>,
): { pointer: string; methods: Set<string> } {
  const outline = outlines.find((candidate) => candidate.file === file);
  if (!outline) return { pointer: "", methods: new Set() };
  const type = outline.types
    .filter((candidate) => candidate.line <= line && line <= candidate.endLine)
    .sort((a, b) => b.line - a.line)[0];
  if (type) return { pointer: type.fullName, methods: new Set(reach.get(type.fullName) ?? []) };
  const service = outline.services.find((candidate) => candidate.line <= line && line <= candidate.endLine);
  if (service) {
    const rpc = service.rpcs.find((candidate) => candidate.line === line);
    if (rpc)
      return { pointer: `${service.fullName}.${rpc.name}`, methods: new Set([`${service.fullName}/${rpc.name}`]) };
    return {
      pointer: service.fullName,
      methods: new Set(service.rpcs.map((candidate) => `${service.fullName}/${candidate.name}`)),
    };
  }
  // A file-level rule (package, options): every RPC the file serves or whose types it holds.
  const methods = new Set<string>();
  for (const candidate of outline.services)
    for (const rpc of candidate.rpcs) methods.add(`${candidate.fullName}/${rpc.name}`);
  for (const candidate of outline.types) for (const method of reach.get(candidate.fullName) ?? []) methods.add(method);
  return { pointer: "", methods };
}

/** Where to report a service that is gone: its file in the head if the file is still there, else the base. */
function removedAt(
  context: CompareContext,
  outline: ProtoOutline,
  headOutlines: readonly ProtoOutline[],
  line: number,
): { side: "base" | "head"; file: string; line: number } {
  const survivor = headOutlines.find((candidate) => candidate.file === outline.file);
  if (survivor && context.head.texts.has(outline.file))
    return { side: "head", file: outline.file, line: survivor.packageLine };
  return { side: "base", file: outline.file, line };
}

function emit(
  context: CompareContext,
  rule: string,
  details: {
    side: "base" | "head";
    file: string;
    line: number;
    pointer: string;
    message: string;
    consumers?: readonly string[];
  },
): void {
  context.emit({ ruleId: `proto/${rule}`, kind: "proto", ...details });
}
