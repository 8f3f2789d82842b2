import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { joinAsyncApi, joinOpenApi } from "./joined-contracts.js";
import { parseYaml } from "./yaml-parse.js";

/** A request as the simulator's gateway sees it (header names lower-case). */
export interface ConsoleRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** A response: status, headers and the body text. */
export interface ConsoleResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Dev tokens for the console's pages and its "try it", one per role. */
export interface DevTokens {
  readonly admin: string;
  readonly customer: string;
}

/** What the console's routes need from the platform. */
export interface ConsoleRoutesOptions {
  /** The contracts folder (default: the workspace's `contracts/`). */
  readonly contractsDir?: string;
  /**
   * Whether the server answers only on a loopback address. Only then does the console hand out dev tokens: on
   * any other address anyone who can reach the port would be given an admin's token.
   */
  readonly loopback: () => boolean;
  /** Fresh dev tokens (they expire with platform time, so each session asks anew); undefined without a customer context. */
  readonly devTokens?: () => Promise<DevTokens>;
  /** The contexts the platform runs. */
  readonly contexts: readonly string[];
}

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const defaultContractsDir = fileURLToPath(new URL("../../../contracts", import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".LICENSE": "text/plain; charset=utf-8",
};

// Everything the console's pages load comes from this origin: the policy makes the browser refuse anything else
// (a CDN font, a proxy, telemetry), whatever a vendored bundle would try.
const CONTENT_SECURITY_POLICY =
  "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; connect-src 'self'; frame-ancestors 'none'";

/** The files a folder may serve, by name: read once, so a request can name nothing outside the list. */
function servableFiles(dir: string, pattern: RegExp): Map<string, string> {
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const name of readdirSync(dir)) if (pattern.test(name)) files.set(name, join(dir, name));
  return files;
}

function contentType(name: string): string {
  const extension = /(\.[A-Za-z]+)$/.exec(name)?.[1] ?? "";
  return CONTENT_TYPES[extension] ?? "application/octet-stream";
}

const json = (status: number, body: unknown): ConsoleResponse => ({
  status,
  headers: { "content-type": "application/json", "cache-control": "no-store" },
  body: JSON.stringify(body),
});

/** The context map of `contexts.yaml` as nodes (contexts) and edges (events, commands, RPC dependencies), for the map page. */
export function readContextGraph(contractsDir: string) {
  const map = parseYaml(readFileSync(join(contractsDir, "contexts.yaml"), "utf8")) as {
    contexts?: Record<string, Record<string, unknown>>;
  };
  const contexts = Object.entries(map.contexts ?? {});
  const names = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
  const producers = new Map<string, string>();
  for (const [name, context] of contexts) for (const event of names(context.publishes)) producers.set(event, name);
  const handlers = new Map<string, string>();
  for (const [name, context] of contexts) for (const command of names(context.handles)) handlers.set(command, name);
  const edges: { from: string; to: string; kind: "event" | "command" | "rpc"; label: string }[] = [];
  for (const [name, context] of contexts) {
    for (const event of names(context.subscribes)) {
      const producer = producers.get(event);
      if (producer && producer !== name) edges.push({ from: producer, to: name, kind: "event", label: event });
    }
    for (const command of names(context.sends)) {
      const handler = handlers.get(command);
      if (handler && handler !== name) edges.push({ from: name, to: handler, kind: "command", label: command });
    }
    for (const target of names(context.dependsOn)) edges.push({ from: name, to: target, kind: "rpc", label: "rpc" });
  }
  return {
    nodes: contexts.map(([name, context]) => ({
      name,
      team: typeof context.team === "string" ? context.team : undefined,
      publishes: names(context.publishes),
      subscribes: names(context.subscribes),
      rpc: names(context.rpc),
    })),
    edges,
  };
}

/**
 * The console's routes: the page at `/`, its scripts and the vendored bundles under `/_console/`, the joined
 * contracts at `/openapi.json` and `/asyncapi.json`, and `/_console/session` (dev tokens on loopback only).
 * Answers undefined for anything else, so the contracts' own operations are never shadowed.
 */
export function createConsoleRoutes(options: ConsoleRoutesOptions) {
  const contractsDir = options.contractsDir ?? defaultContractsDir;
  const appFiles = new Map([
    ...servableFiles(join(packageDir, "app"), /^[a-z0-9-]+\.(html|css)$/),
    ...servableFiles(join(packageDir, "dist", "app"), /^[a-z0-9-]+\.js$/),
  ]);
  const vendorFiles = servableFiles(join(packageDir, "vendor"), /^[a-z0-9][a-z0-9.-]*$/);
  const cache = new Map<string, string>();
  const cached = (key: string, make: () => string) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = make();
      cache.set(key, value);
    }
    return value;
  };
  const file = (path: string, name: string, maxAge: number): ConsoleResponse => ({
    status: 200,
    headers: {
      "content-type": contentType(name),
      "cache-control": maxAge > 0 ? `public, max-age=${maxAge}` : "no-cache",
      "x-content-type-options": "nosniff",
      ...(name.endsWith(".html") ? { "content-security-policy": CONTENT_SECURITY_POLICY } : {}),
    },
    body: cached(path, () => readFileSync(path, "utf8")),
  });

  async function handle(request: ConsoleRequest): Promise<ConsoleResponse | undefined> {
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    const pathname = new URL(request.url, "http://console.invalid").pathname;
    if (pathname === "/" || pathname === "/_console" || pathname === "/_console/") {
      const index = appFiles.get("index.html");
      return index ? file(index, "index.html", 0) : undefined;
    }
    if (pathname === "/openapi.json")
      return { ...json(200, undefined), body: cached("openapi", () => JSON.stringify(joinOpenApi(contractsDir))) };
    if (pathname === "/asyncapi.json")
      return { ...json(200, undefined), body: cached("asyncapi", () => JSON.stringify(joinAsyncApi(contractsDir))) };
    if (pathname === "/_console/context-map.json")
      return { ...json(200, undefined), body: cached("map", () => JSON.stringify(readContextGraph(contractsDir))) };
    if (pathname === "/_console/session") {
      const loopback = options.loopback();
      const tokens = loopback && options.devTokens ? await options.devTokens() : undefined;
      return json(200, { loopback, contexts: options.contexts, ...(tokens ? { tokens } : {}) });
    }
    const app = /^\/_console\/app\/([^/]+)$/.exec(pathname)?.[1];
    if (app !== undefined) {
      const path = appFiles.get(app);
      return path ? file(path, app, 0) : notFound(pathname);
    }
    const vendored = /^\/_console\/vendor\/([^/]+)$/.exec(pathname)?.[1];
    if (vendored !== undefined) {
      const path = vendorFiles.get(vendored);
      return path ? file(path, vendored, 86_400) : notFound(pathname);
    }
    if (pathname.startsWith("/_console/")) return notFound(pathname);
    return undefined;
  }

  return { handle };
}

function notFound(pathname: string): ConsoleResponse {
  return {
    status: 404,
    headers: { "content-type": "application/problem+json" },
    body: JSON.stringify({
      type: "https://ecom.dev/problems/not_found",
      title: "Not found",
      status: 404,
      code: "not_found",
      detail: `The console has no file at ${pathname}.`,
    }),
  };
}
