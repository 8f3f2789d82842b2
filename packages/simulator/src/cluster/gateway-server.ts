import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type Logger, ServiceError } from "@ecom/services/platform";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createConnectionLimits, DEFAULT_SERVER_LIMITS, type ServerLimits } from "../connection-limits.js";
import { writeProblem } from "../problem.js";
import { isLoopbackHost } from "../sim-access.js";
import { SETTLE_BODY_HINT, settleRequestOf } from "../sim-settle.js";
import { tooManyStreams } from "../stream-pump.js";
import { type ClusterSim, openClusterSim } from "./cluster-clock.js";
import { clusterHealth } from "./cluster-health.js";
import { settleCluster } from "./cluster-settle.js";
import { forwardedClientHeaders, GATEWAY_TOKEN_HEADER } from "./forwarded-client.js";
import { createGatewayRouter } from "./gateway-router.js";
import { openRegistry, type RegistryView } from "./registry.js";
import { createServiceTokens, type ServiceTokens } from "./service-token.js";

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  /** The NATS server (`--bus`), or a connection to use. */
  readonly bus: string | NatsConnection;
  readonly namespace: string;
  /**
   * The platform's service-token key (`platform.secrets`, as its processes read it: `readServiceTokenKey`).
   * The gateway signs its token with it, which makes the processes take the client address it forwards.
   */
  readonly serviceTokenKey: Uint8Array;
  /** Every context the platform should have: `/healthz` is degraded while one is served by no process. */
  readonly contexts: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly log: Logger;
  /**
   * Timeouts and per-client limits, as one process's port applies them (README "Security model"; the defaults when
   * absent): slow heads and bodies cut, idle keep-alive connections closed, connections beyond the per-address cap
   * closed at once, streams beyond `maxStreams` refused 503. Tests pass small ones.
   */
  readonly limits?: Partial<ServerLimits>;
}

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  /** Who serves what, as the gateway sees it. */
  readonly view: RegistryView;
  close(): Promise<void>;
}

/** `/_sim` views and endpoints that belong to one context, served by the process serving it. */
const SIM_OWNERS: readonly (readonly [RegExp, string])[] = [
  [/^\/_sim\/mailbox$/, "notification"],
  [/^\/_sim\/device-feed$/, "inventory"],
  [/^\/_sim\/processor\//, "payment"],
  [/^\/_sim\/breakers$/, "payment"],
];

/**
 * `ecom gateway`: the public surface of a platform split over `ecom serve` processes. Each contract operation
 * (REST, Connect, gRPC-web, SSE, WebSocket) goes to the process serving its context (gateway-router.ts);
 * `/healthz` asks every registered process (cluster-health.ts). `/_sim`: an advance of the clock or a change of the
 * faults is made in one process (which checks the request and answers as in one process) and then written to the
 * platform's sim bucket, which every process follows; the views and endpoints of a context (the mailbox, the payment
 * processor, its breakers) come from the process serving it, and the log and events, which every process reads from
 * the same stream, from any; `POST /_sim/settle` settles every process once each applied the bucket's clock
 * (cluster-settle.ts). `/_sim` is open on loopback only: listening elsewhere, only `GET /_sim/clock` and
 * `GET /_sim/faults` answer. GraphQL and the console need every context in one process and are not served here.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  if (typeof options.bus !== "string") return start(options, options.bus, undefined);
  const owned = await connect({ servers: options.bus, name: "ecom gateway" });
  try {
    return await start(options, owned, owned);
  } catch (error) {
    await owned.close();
    throw error;
  }
}

async function start(
  options: GatewayOptions,
  connection: NatsConnection,
  owned: NatsConnection | undefined,
): Promise<Gateway> {
  const registry = await openRegistry({ connection, namespace: options.namespace });
  const view = await registry.watch();
  const sim = await openClusterSim({ connection, namespace: options.namespace });
  const publicEdge = !isLoopbackHost(options.host);
  const tokens = createServiceTokens({ key: options.serviceTokenKey });

  /** A live process to ask: the one serving `context`, else any. */
  const processUrl = (context?: string): string | undefined =>
    (context === undefined ? undefined : view.urlOf(context)) ?? view.claims()[0]?.url;

  const local = (request: IncomingMessage, response: ServerResponse) => {
    handleLocal(request, response).catch((error: unknown) => {
      options.log.error("a gateway request failed", { error: String(error) });
      if (!response.headersSent) writeProblem(response, new ServiceError("internal", "The gateway failed."), "/");
      else response.destroy();
    });
  };

  const handleLocal = async (request: IncomingMessage, response: ServerResponse) => {
    const pathname = new URL(request.url ?? "/", "http://gateway.invalid").pathname;
    const route = `${request.method} ${pathname}`;
    if (route === "GET /healthz") {
      const report = await clusterHealth({ processes: await registry.processes(), expected: options.contexts });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(report));
      return;
    }
    if (!pathname.startsWith("/_sim/"))
      return writeProblem(
        response,
        new ServiceError(
          "not_found",
          `No operation of the contracts is at ${request.method} ${pathname}. The gateway of a split platform serves the contexts' REST, Connect and event streams, /healthz and /_sim; GraphQL and the console need ecom sim up.`,
        ),
        pathname,
      );
    if (publicEdge && route !== "GET /_sim/clock" && route !== "GET /_sim/faults")
      return writeProblem(
        response,
        new ServiceError("forbidden", `${pathname} is open on loopback only: run ecom gateway with --host 127.0.0.1.`),
        pathname,
      );
    if (route === "POST /_sim/settle") return settle(request, response, pathname);
    const owner = SIM_OWNERS.find(([pattern]) => pattern.test(pathname))?.[1];
    const target = processUrl(owner);
    if (target === undefined)
      return writeProblem(
        response,
        new ServiceError("unavailable", "No process is registered yet: start them with ecom serve --contexts …"),
        pathname,
      );
    // The log's live feed holds its connection as a context's stream does, and takes one of the same slots.
    if (route === "GET /_sim/events" && !router.admitStream(response)) return tooManyStreams(response, pathname);
    const shared = route === "POST /_sim/clock/advance" || route === "POST /_sim/faults";
    await forward(request, response, target, tokens, shared ? (answer) => publish(sim, route, answer) : undefined);
  };

  /** Settle every registered process, in rounds until one changes nothing (cluster-settle.ts). */
  const settle = async (request: IncomingMessage, response: ServerResponse, pathname: string) => {
    const asked = settleRequestOf(await smallBody(request));
    if (asked === undefined) return writeProblem(response, new ServiceError("validation", SETTLE_BODY_HINT), pathname);
    try {
      // The clock as the bucket holds it now: an advance answered before this request is applied first everywhere.
      const { time } = await sim.current();
      const answer = await settleCluster({
        processes: () => registry.processes(),
        expected: options.contexts,
        timeoutMs: asked.timeoutMs,
        ...(time ? { clock: time } : {}),
      });
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(answer));
    } catch (error) {
      writeProblem(response, ServiceError.from(error), pathname);
    }
  };

  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const router = createGatewayRouter({ registry: view, local, tokens, publicEdge, maxStreams: limits.maxStreams });
  const server = createServer({ maxHeaderSize: limits.maxHeaderBytes }, router.handle);
  server.keepAliveTimeout = limits.idleTimeoutMs;
  const guard = createConnectionLimits(limits);
  server.on("connection", (socket: Socket) => guard.accept(socket));
  server.on("request", guard.request);
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    guard.handedOver(socket as Socket);
    router.upgrade(request, socket, head);
  });
  server.listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  return {
    url,
    view,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      router.close();
      await view.close();
      await owned?.close();
    },
  };
}

/** The first few kilobytes of a body (`/_sim/settle`'s options), as text: more is read and dropped, to be refused. */
async function smallBody(request: IncomingMessage): Promise<string> {
  let text = "";
  for await (const chunk of request) if (text.length <= 4_096) text += String(chunk);
  return text;
}

/** Write what one process answered to a clock advance or a fault change to the sim bucket, for every process. */
async function publish(sim: ClusterSim, route: string, answer: unknown): Promise<void> {
  if (route === "POST /_sim/clock/advance") {
    const now = (answer as { now?: unknown }).now;
    if (typeof now === "string") await sim.advanceTo(new Date(now));
  } else await sim.setFaults(answer as Parameters<ClusterSim["setFaults"]>[0]);
}

/**
 * Send `request` to the process at `target` and its answer back. With `shared`, the answer (JSON) is read first and,
 * when the process accepted the request (2xx), handed to `shared` before the client gets it, so a client that
 * advances the clock and then asks any process sees the new time once they have applied it.
 */
function forward(
  request: IncomingMessage,
  response: ServerResponse,
  target: string,
  tokens: Pick<ServiceTokens, "tokenFor">,
  shared?: (answer: unknown) => Promise<void>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const url = new URL(target);
    const headers = { ...request.headers };
    delete headers.connection;
    delete headers["keep-alive"];
    delete headers[GATEWAY_TOKEN_HEADER];
    Object.assign(
      headers,
      forwardedClientHeaders(tokens, request.headers["x-forwarded-for"], request.socket.remoteAddress),
    );
    const upstream = httpRequest({
      hostname: url.hostname,
      port: url.port,
      method: request.method,
      path: request.url,
      headers,
    });
    upstream.on("response", async (answer) => {
      try {
        if (!shared) {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
          answer.on("end", resolve);
          response.on("close", () => {
            answer.destroy();
            resolve();
          });
          return;
        }
        const chunks: Buffer[] = [];
        for await (const chunk of answer) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        const status = answer.statusCode ?? 502;
        if (status >= 200 && status < 300) await shared(JSON.parse(body.toString()));
        const answered = { ...answer.headers };
        delete answered["transfer-encoding"];
        response.writeHead(status, { ...answered, "content-length": body.length });
        response.end(body);
        resolve();
      } catch (error) {
        reject(error);
      }
    });
    upstream.on("error", reject);
    request.pipe(upstream);
  });
}
