import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

/** The bundled buf binary (from the @bufbuild/buf package), never one on PATH. */
export function bufBinary(): string {
  return join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf");
}

/** The protoc-gen-es plugin this package depends on. */
function protocGenEs(): string {
  return join(dirname(require.resolve("@bufbuild/protoc-gen-es/package.json")), "bin", "protoc-gen-es");
}

/** The options protoc-gen-es runs with; part of every generated file's provenance. */
export const PROTOC_GEN_ES_OPTIONS = ["target=ts", "import_extension=js"];

/**
 * Run `buf generate` with protoc-gen-es over the proto module in `protoDir` and return the generated files by path
 * (`ecom/inventory/v1/inventory_pb.ts`). Generation happens in a temporary folder that is removed afterwards.
 */
export async function generateProto(protoDir: string): Promise<Map<string, string>> {
  const out = await mkdtemp(join(tmpdir(), "ecom-codegen-proto-"));
  try {
    const template = {
      version: "v2",
      plugins: [{ local: protocGenEs(), out, opt: PROTOC_GEN_ES_OPTIONS, include_imports: false }],
    };
    try {
      await execFileAsync(bufBinary(), ["generate", protoDir, "--template", JSON.stringify(template)], {
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim();
      throw new Error(`buf generate failed on ${protoDir}: ${stderr || (error as Error).message}`);
    }
    const files = new Map<string, string>();
    for (const entry of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const full = join(entry.parentPath, entry.name);
      files.set(relative(out, full).split(sep).join("/"), await readFile(full, "utf8"));
    }
    return files;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** A Connect service found in generated protobuf-es code. */
export interface ProtoService {
  /** `ecom.inventory.v1.InventoryService` */
  readonly typeName: string;
  /** The exported constant, `InventoryService`. */
  readonly exportName: string;
  /** The generated module, relative to the proto output folder, without extension: `ecom/inventory/v1/inventory_pb`. */
  readonly module: string;
  /** The context the service belongs to: the second segment of its package. */
  readonly context: string;
}

/** The services declared in protobuf-es output: `export const XService: GenService<…> = …` with its type name. */
export function findServices(files: ReadonlyMap<string, string>): ProtoService[] {
  const services: ProtoService[] = [];
  for (const [path, source] of files) {
    const packageName = /^\/\/ @generated from file (\S+)/m.exec(source) ? packagePrefix(source) : undefined;
    for (const match of source.matchAll(
      /^\/\*\*[\s\S]*?@generated from service (\S+)\s*\*\/\s*export const (\w+): GenService/gm,
    )) {
      const typeName = match[1]!;
      services.push({
        typeName,
        exportName: match[2]!,
        module: path.replace(/\.ts$/, ""),
        context: typeName.split(".")[1] ?? packageName ?? "",
      });
    }
  }
  return services.sort((a, b) => a.typeName.localeCompare(b.typeName));
}

function packagePrefix(source: string): string | undefined {
  return /@generated from file ecom\/([a-z_]+)\//.exec(source)?.[1];
}

/** The `rpc.ts` module: `createRpcClients(transport)` with one typed Connect client per proto service. */
export function rpcIndexSource(services: readonly ProtoService[], modules: readonly string[]): string {
  const lines: string[] = [];
  lines.push('import { type Client, createClient, type Transport } from "@connectrpc/connect";');
  for (const service of services) {
    lines.push(`import { ${service.exportName} } from "./proto/${service.module}.js";`);
  }
  lines.push("");
  lines.push("/** One typed Connect client per proto service, keyed by context, over the given transport. */");
  lines.push("export function createRpcClients(transport: Transport): RpcClients {");
  lines.push("  return {");
  for (const service of services) lines.push(`    ${service.context}: createClient(${service.exportName}, transport),`);
  lines.push("  };");
  lines.push("}");
  lines.push("");
  lines.push("/** The typed Connect clients of every context that serves RPCs. */");
  lines.push("export interface RpcClients {");
  for (const service of services) lines.push(`  readonly ${service.context}: Client<typeof ${service.exportName}>;`);
  lines.push("}");
  lines.push("");
  for (const module of [...modules].sort()) {
    const namespace = module
      .split("/")
      .slice(1, 3)
      .map((part, index) => (index === 0 ? part : part.toUpperCase()))
      .join("");
    lines.push(`/** The messages, enums and service descriptors of ${module}.proto. */`);
    lines.push(`export * as ${namespace} from "./proto/${module}.js";`);
  }
  lines.push("");
  lines.push("/** Every proto service, keyed by its fully qualified name. */");
  lines.push("export const rpcServices = {");
  for (const service of services) lines.push(`  ${JSON.stringify(service.typeName)}: ${service.exportName},`);
  lines.push("} as const;");
  return `${lines.join("\n")}\n`;
}
