import { isNode } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import type { SchemaValidators } from "../lint/schema-validators.js";
import { send, type VerifyResponse } from "./http-exchange.js";
import { checkResponse, type RestCase } from "./response-check.js";
import { linkedValues } from "./response-links.js";
import { type CaseInputs, negativeCases, positiveCases } from "./rest-cases.js";
import { documentedResponse, type RestOperation } from "./rest-operations.js";
import type { VerifyRecorder } from "./verify-recorder.js";

/** What the REST pass needs. */
export interface RestVerifyOptions {
  readonly view: LintContext;
  readonly operations: readonly RestOperation[];
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly random: () => number;
  readonly validators: SchemaValidators;
  readonly recorder: VerifyRecorder;
  /** Stop sending after this many requests (the report says so). */
  readonly maxRequests: number;
  readonly onProgress?: (operation: RestOperation) => void;
}

const methodOrder: Record<string, number> = { get: 0, post: 1, put: 2, patch: 2, delete: 3 };
const parameterCount = (path: string) => (path.match(/\{/g) ?? []).length;

/**
 * The order that lets one operation feed the next: collections before their items (lists and creations bind the
 * ids that item paths need), reads before writes at each depth, deletions last.
 */
export function chainOrder(operations: readonly RestOperation[]): RestOperation[] {
  return [...operations].sort(
    (a, b) =>
      Number(a.method === "delete") - Number(b.method === "delete") ||
      parameterCount(a.path) - parameterCount(b.path) ||
      (methodOrder[a.method] ?? 4) - (methodOrder[b.method] ?? 4) ||
      a.path.localeCompare(b.path),
  );
}

const templatePattern = (path: string) =>
  new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{([^}]+)\\?\}/g, "(?<$1>[^/]+)")}$`);

/**
 * Learns ids from answers: a `Location` matched against the path templates, `…Id` fields, and an `id` field (of
 * the answer or of a list's first item), which names the parameter of the item path below the operation's path.
 */
class Bindings {
  readonly values = new Map<string, string>();
  readonly #getPaths: { path: string; pattern: RegExp }[];

  constructor(operations: readonly RestOperation[]) {
    this.#getPaths = operations
      .filter((operation) => operation.method === "get")
      .map((operation) => ({ path: operation.path, pattern: templatePattern(operation.path) }));
  }

  /** True when a GET path is `path` plus one parameter segment. */
  hasItemPath(path: string): boolean {
    const item = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&")}/\\{[^}]+\\}$`);
    return this.#getPaths.some((candidate) => item.test(candidate.path));
  }

  /** The GET path template `pathname` matches, with its parameters; undefined when none does. */
  match(pathname: string): Record<string, string> | undefined {
    for (const { pattern } of this.#getPaths) {
      const found = pattern.exec(pathname);
      if (found) return { ...found.groups };
    }
    return undefined;
  }

  #bind(name: string, value: unknown): void {
    if (typeof value === "string" && value !== "" && !this.values.has(name)) this.values.set(name, value);
  }

  #fromObject(operation: RestOperation, value: Record<string, unknown>): void {
    for (const [key, field] of Object.entries(value)) if (/Id$/.test(key)) this.#bind(key, field);
    if (typeof value.id !== "string") return;
    // `POST /carts` answering `{ id }` names `{cartId}` of `/carts/{cartId}`.
    const base = operation.path.replace(/\/\{[^}]+\}$/, "");
    for (const { path } of this.#getPaths) {
      const item = new RegExp(`^${base.replace(/[.*+?^$()|[\]\\]/g, "\\$&")}/\\{([^}]+)\\}$`).exec(path);
      if (item?.[1] && (operation.path === base || operation.path.startsWith(`${base}/{`)))
        this.#bind(item[1], value.id);
    }
  }

  learn(view: LintContext, operation: RestOperation, response: VerifyResponse, baseUrl: string): void {
    if (response.status >= 300) return;
    // The contract's own links first: they say exactly which value feeds which parameter.
    const documented = documentedResponse(operation, response.status);
    if (documented) for (const [name, value] of linkedValues(view, documented, response)) this.#bind(name, value);
    const location = response.headers.get("location");
    if (location) {
      const pathname = new URL(location, `${baseUrl}/`).pathname.slice(
        new URL(baseUrl).pathname.replace(/\/$/, "").length,
      );
      for (const [name, value] of Object.entries(this.match(pathname) ?? {}))
        this.#bind(name, decodeURIComponent(value));
    }
    const body = response.json;
    if (!isNode(body)) return;
    this.#fromObject(operation, body);
    // A cursor belongs to its list (and its filters): kept per operation.
    if (isNode(body.page) && typeof body.page.nextCursor === "string")
      this.values.set(`nextCursor ${operation.operationId}`, body.page.nextCursor);
    const first = Array.isArray(body.items) ? body.items[0] : undefined;
    if (isNode(first)) this.#fromObject({ ...operation, path: `${operation.path}/{}` }, first);
  }
}

/** Run every REST case of `operations` in chain order, checking each answer against the contract. */
export async function verifyRest(options: RestVerifyOptions): Promise<void> {
  const { recorder } = options;
  const bindings = new Bindings(options.operations);
  const resolvesLocation = async (location: string) => {
    const url = new URL(location, `${options.baseUrl}/`);
    const prefix = new URL(options.baseUrl).pathname.replace(/\/$/, "");
    if (!bindings.match(url.pathname.slice(prefix.length))) return false;
    recorder.stats.requests++;
    const answer = await send({
      method: "get",
      url: url.toString(),
      headers: options.token ? { Authorization: `Bearer ${options.token}` } : {},
    });
    return answer.status >= 200 && answer.status < 300;
  };
  const tools = {
    validators: options.validators,
    recorder,
    resolvesLocation,
    hasItemPath: (path: string) => bindings.hasItemPath(path),
  };
  let limitReported = false;
  for (const operation of chainOrder(options.operations)) {
    if (operation.streaming) continue;
    options.onProgress?.(operation);
    recorder.stats.operations++;
    const inputs: CaseInputs = {
      view: options.view,
      baseUrl: options.baseUrl,
      token: options.token,
      random: options.random,
      bindings: bindings.values,
    };
    const run = async (cases: readonly RestCase[]): Promise<boolean> => {
      for (const testCase of cases) {
        if (recorder.stats.requests >= options.maxRequests) {
          if (!limitReported)
            recorder.fail(
              "verify/request-limit-reached",
              { file: operation.file, pointer: operation.operation.pointer },
              `stopped after ${options.maxRequests} requests (--max-requests), before ${operation.operationId}`,
            );
          limitReported = true;
          return false;
        }
        recorder.stats.requests++;
        const response = await send(testCase.request);
        if (testCase.kind === "positive") bindings.learn(options.view, operation, response, options.baseUrl);
        if (!(await checkResponse(testCase, response, tools))) {
          recorder.stats.notImplemented++;
          return false;
        }
      }
      return true;
    };
    if (!(await run(positiveCases(operation, inputs)))) {
      if (limitReported) return;
      continue;
    }
    await run(negativeCases(operation, inputs));
    if (limitReported) return;
  }
}
