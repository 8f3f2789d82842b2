import { existsSync } from "node:fs";
import { join, relative } from "node:path";
import { createLintContext } from "../lint/lint-contracts.js";
import { SchemaValidators } from "../lint/schema-validators.js";
import { createDirectoryFiles } from "../source/contract-files.js";
import { contextOfFile, loadContractSet } from "../source/contract-set.js";
import { watchEvents } from "./event-verify.js";
import { send, UnreachableError } from "./http-exchange.js";
import { restOperations } from "./rest-operations.js";
import { verifyRest } from "./rest-verify.js";
import { loadServices, rpcMethods, verifyRpc } from "./rpc-verify.js";
import { VerifyRecorder, type VerifyReport } from "./verify-recorder.js";

/** What `ecom verify` checks, and against what. */
export interface VerifyOptions {
  /** Base URL of the running implementation (`http://localhost:4000`). */
  readonly url: string;
  /** The contracts folder. */
  readonly contractsDir: string;
  /** Only these contexts (by contract file name); default all. */
  readonly contexts?: readonly string[];
  /** A bearer token sent to secured operations and RPCs. */
  readonly token?: string;
  /** Sign in first through the contracts' `login` operation and use the access token it answers. */
  readonly login?: { readonly email: string; readonly password: string };
  /** Seed of every generated value and key; the same seed sends the same requests. */
  readonly seed: number;
  /** Stop after this many requests. Default 5000. */
  readonly maxRequests?: number;
  /** Subscribe to this event stream (SSE) while the checks run and validate every event. */
  readonly eventsUrl?: string;
  /** Prefix of file paths in findings (where the contracts are, seen from where the command runs). */
  readonly fileRoot?: string;
  /** Called as each operation starts, for progress on a terminal. */
  readonly onProgress?: (line: string) => void;
}

/** Why verify could not run at all (exit code 2 in the CLI). */
export class VerifyError extends Error {
  override name = "VerifyError";
}

/** True when `error` is a {@link VerifyError}, across copies of the package. */
export const isVerifyError = (error: unknown): error is VerifyError =>
  error instanceof Error && error.name === "VerifyError";

/** mulberry32: a small seeded generator, so that `--seed` reproduces every generated request. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function signIn(
  operations: ReturnType<typeof restOperations>,
  baseUrl: string,
  login: { email: string; password: string },
): Promise<string> {
  const operation = operations.find((candidate) => candidate.operationId === "login");
  if (!operation) throw new VerifyError("--login needs an operation with operationId login in the contracts");
  const answer = await send({ method: operation.method, url: `${baseUrl}${operation.path}`, headers: {}, body: login });
  const token =
    answer.json && typeof answer.json === "object" ? (answer.json as Record<string, unknown>).accessToken : undefined;
  if (answer.status !== 200 || typeof token !== "string")
    throw new VerifyError(
      `--login ${login.email}: ${operation.path} answered ${answer.status}, not a token; check the email and password`,
    );
  return token;
}

/**
 * Check a running implementation against the contracts: every REST operation with valid and broken requests,
 * chained so that created ids feed later operations; every Connect method; and, with `eventsUrl`, every event
 * published meanwhile. Throws {@link VerifyError} when it cannot run (unreachable URL, bad contracts, failed login).
 */
export async function verifyImplementation(options: VerifyOptions): Promise<VerifyReport> {
  const baseUrl = options.url.replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/.test(baseUrl)) throw new VerifyError(`--url must be an http(s) URL, got ${options.url}`);
  if (!existsSync(options.contractsDir)) throw new VerifyError(`no contracts folder at ${options.contractsDir}`);
  const set = await loadContractSet(createDirectoryFiles(options.contractsDir));
  const view = createLintContext(set);
  const known = new Set([...set.openapi.keys()].map(contextOfFile));
  for (const context of options.contexts ?? [])
    if (!known.has(context))
      throw new VerifyError(
        `--context ${context}: no contract openapi/${context}.yaml (known: ${[...known].join(", ")})`,
      );
  const contexts = options.contexts && options.contexts.length > 0 ? new Set(options.contexts) : undefined;
  const fileRoot = options.fileRoot ?? `${relative(process.cwd(), options.contractsDir) || "."}/`;
  const recorder = new VerifyRecorder(view, fileRoot === "./" ? "" : fileRoot);
  const validators = new SchemaValidators(view);
  const operations = restOperations(view, contexts);
  const random = seededRandom(options.seed);
  try {
    const token = options.login ? await signIn(restOperations(view), baseUrl, options.login) : options.token;
    const events = options.eventsUrl
      ? await watchEvents({ url: options.eventsUrl, view, validators, recorder })
      : undefined;
    await verifyRest({
      view,
      operations,
      baseUrl,
      token,
      random,
      validators,
      recorder,
      maxRequests: options.maxRequests ?? 5000,
      onProgress: (operation) =>
        options.onProgress?.(
          `${recorder.stats.requests} requests · ${operation.operationId} (${operation.method.toUpperCase()} ${operation.path})`,
        ),
    });
    const protoDir = join(options.contractsDir, "proto");
    if (set.proto.length > 0 && existsSync(protoDir)) {
      options.onProgress?.(`${recorder.stats.requests} requests · Connect methods`);
      const services = await loadServices(protoDir);
      await verifyRpc({
        methods: rpcMethods(view, services, contexts),
        baseUrl,
        token,
        recorder,
        protoFileOf: (service) => ({ file: `proto/${service.file.name}.proto`, pointer: service.typeName }),
      });
    }
    await events?.stop();
  } catch (error) {
    if (error instanceof UnreachableError) throw new VerifyError(`cannot reach the implementation: ${error.message}`);
    throw error;
  }
  return recorder.report();
}
