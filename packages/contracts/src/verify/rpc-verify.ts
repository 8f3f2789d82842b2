import { execFile } from "node:child_process";
import {
  createFileRegistry,
  type DescField,
  type DescMethod,
  type DescService,
  fromBinary,
  fromJson,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { isNode } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import { resolveBuf } from "../lint/rules/proto-buf-lint.js";
import { curlLine, send, type VerifyRequest } from "./http-exchange.js";
import type { VerifyRecorder } from "./verify-recorder.js";

/** Who may call a method, per `rpcAccess` in contexts.yaml; `unknown` when the map does not say. */
export type RpcAccess = "public" | "customer-own" | "admin" | "internal" | "unknown";

/** One Connect method of the contracts, with its descriptor and access rule. */
export interface RpcMethod {
  readonly context: string;
  readonly service: DescService;
  readonly method: DescMethod;
  readonly access: RpcAccess;
}

/** Compile the proto files of `protoDir` with the bundled buf into descriptors (a FileDescriptorSet). */
export async function loadServices(protoDir: string): Promise<DescService[]> {
  const buf = resolveBuf();
  const image = await new Promise<Buffer>((resolve, reject) => {
    execFile(
      buf.command,
      [...buf.args, "build", protoDir, "--as-file-descriptor-set", "-o", "-#format=binpb"],
      { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`buf build ${protoDir} failed: ${stderr.toString().trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, image));
  const services: DescService[] = [];
  for (const type of registry) if (type.kind === "service") services.push(type);
  return services.sort((a, b) => a.typeName.localeCompare(b.typeName));
}

/** The Connect methods of `services`, with the access rule `contexts.yaml` gives each (`rpcAccess`). */
export function rpcMethods(
  view: LintContext,
  services: readonly DescService[],
  contexts?: ReadonlySet<string>,
): RpcMethod[] {
  const map = view.set.contextMap?.value;
  const owners = new Map<string, string>();
  const access = new Map<string, RpcAccess>();
  const entries = isNode(map) && isNode(map.contexts) ? Object.entries(map.contexts) : [];
  for (const [context, entry] of entries) {
    if (!isNode(entry)) continue;
    for (const service of Array.isArray(entry.rpc) ? entry.rpc : []) owners.set(String(service), context);
    if (isNode(entry.rpcAccess))
      for (const [method, rule] of Object.entries(entry.rpcAccess)) access.set(method, String(rule) as RpcAccess);
  }
  const methods: RpcMethod[] = [];
  for (const service of services) {
    const context = owners.get(service.typeName) ?? service.typeName.split(".")[1] ?? service.typeName;
    if (contexts && !contexts.has(context)) continue;
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      methods.push({ context, service, method, access: access.get(`${service.typeName}/${method.name}`) ?? "unknown" });
    }
  }
  return methods;
}

/** A JSON value of the wrong kind for `field`: every protobuf JSON parser must refuse it. */
const wrongValue = (field: DescField) =>
  field.fieldKind === "scalar" || field.fieldKind === "enum" ? { wrong: [1] } : 7;

interface RpcAnswer {
  readonly status: number;
  readonly code: string | undefined;
  readonly json: unknown;
}

async function call(request: VerifyRequest): Promise<RpcAnswer> {
  const response = await send(request);
  const code = isNode(response.json) && typeof response.json.code === "string" ? response.json.code : undefined;
  return { status: response.status, code: response.status === 200 ? undefined : code, json: response.json };
}

/**
 * Call every unary method over the Connect protocol (JSON): a public one must be reachable and answer its
 * response type or a Connect error; an invalid message must get `invalid_argument`; an internal-only one must
 * answer `permission_denied` to this outside caller, whatever it sends.
 */
export async function verifyRpc(options: {
  readonly methods: readonly RpcMethod[];
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly recorder: VerifyRecorder;
  readonly protoFileOf: (service: DescService) => { file: string; pointer: string };
}): Promise<void> {
  const { recorder } = options;
  for (const { service, method, access } of options.methods) {
    recorder.stats.rpcMethods++;
    const name = `${service.typeName}/${method.name}`;
    const place = { ...options.protoFileOf(service), subject: name };
    const request = (body: unknown): VerifyRequest => ({
      method: "post",
      url: `${options.baseUrl}/${name}`,
      headers: {
        "Connect-Protocol-Version": "1",
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      },
      body,
    });
    const describe = (what: string, sent: VerifyRequest, expected: string, actual: RpcAnswer) =>
      `${name} (${access}), ${what}: expected ${expected}, got ${actual.code ?? `HTTP ${actual.status}`}\n    ${curlLine(sent)}`;
    const empty = request({});
    recorder.stats.requests++;
    const answer = await call(empty);
    if (answer.code === "unimplemented" && answer.status !== 404) {
      recorder.fail("verify/rpc-not-implemented", place, `${name} answers unimplemented; nothing of it was verified`);
      continue;
    }
    if (access === "internal") {
      const refused = answer.code === "permission_denied" || (!options.token && answer.code === "unauthenticated");
      if (!refused)
        recorder.fail(
          "verify/rpc-permission",
          place,
          describe("an outside caller", empty, "permission_denied", answer),
        );
      continue;
    }
    if (answer.status === 404 || answer.code === "unimplemented") {
      recorder.fail(
        "verify/rpc-unreachable",
        place,
        describe("an empty message", empty, "the method to be served", answer),
      );
      continue;
    }
    if (answer.status === 200) {
      try {
        fromJson(method.output, answer.json as never);
      } catch (error) {
        recorder.fail(
          "verify/rpc-unreachable",
          place,
          describe("an empty message", empty, `a ${method.output.typeName}`, {
            ...answer,
            code: `a body that is not one (${(error as Error).message})`,
          }),
        );
      }
    }
    const [field] = method.input.fields;
    if (!field) continue;
    const invalid = request({ [field.jsonName]: wrongValue(field) });
    recorder.stats.requests++;
    const refused = await call(invalid);
    if (refused.code !== "invalid_argument")
      recorder.fail(
        "verify/rpc-invalid-argument",
        place,
        describe(`field ${field.jsonName} of the wrong JSON type`, invalid, "invalid_argument", refused),
      );
  }
}
