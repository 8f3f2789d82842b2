import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { Duplex } from "node:stream";
import { ServiceError } from "@ecom/services/platform";
import { DEFAULT_SERVER_LIMITS } from "../connection-limits.js";
import { RestRouter } from "../gateway/rest-router.js";
import { problemResponse, writeProblem } from "../problem.js";
import { createStreamSlots, tooManyStreams } from "../stream-pump.js";
import { forwardedClientHeaders, GATEWAY_TOKEN_HEADER } from "./forwarded-client.js";
import { claimsServiceType, contextOfService, type ServiceTokens } from "./service-token.js";

/** Options of {@link createGatewayRouter}. */
export interface GatewayRouterOptions {
  /** Where each context is served; asked on every request, so a context that moved is found at its new process. */
  readonly registry: { urlOf(context: string): string | undefined };
  /**
   * What the gateway answers itself: `/healthz`, `/_sim/*`, and every request no contract operation of a context
   * matches (the console, 404, 405).
   */
  readonly local: (request: IncomingMessage, response: ServerResponse) => void;
  /** What the gateway answers itself when a WebSocket upgrade matches no context's operation; refused without it. */
  readonly localUpgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /**
   * The platform's service tokens (its key): each request passed on carries the gateway's token beside the
   * `X-Forwarded-For` the gateway appended the client's address to, so the process counts the request as the
   * client's (forwarded-client.ts) and not as the gateway's.
   */
  readonly tokens: Pick<ServiceTokens, "tokenFor">;
  /** The REST operations to route by (the contracts' own by default). */
  readonly router?: RestRouter;
  /**
   * The gateway listens beyond loopback. The processes behind it see every request come from loopback and would join
   * a caller's `traceparent`; here it is dropped (with `tracestate`), so an outsider never picks the trace ids of the
   * platform's envelopes and partners' webhooks, as the port of one process decides for itself.
   */
  readonly publicEdge?: boolean;
  /**
   * Event streams (SSE and WebSocket) open through the gateway at once; beyond it a new one is answered 503 with
   * Retry-After, as one process's port answers it ({@link DEFAULT_SERVER_LIMITS}'s `maxStreams` by default).
   */
  readonly maxStreams?: number;
  /** Kept-alive connections to each process for every other request (256 by default). */
  readonly requestSockets?: number;
  /**
   * Event streams open to one process at once (what its per-address cap leaves beside `requestSockets`: 768 by
   * default); beyond it a stream to that process is refused 503 with Retry-After, as one beyond `maxStreams` is.
   */
  readonly streamSocketsPerProcess?: number;
}

/** The public surface in split mode: each request goes to the process that serves the context owning it. */
export interface GatewayRouter {
  /** The context owning a request (a Connect/gRPC-web path's proto package, or a REST operation); else undefined. */
  contextOf(method: string, url: string): string | undefined;
  /** The node:http request handler. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** The node:http `upgrade` listener (WebSockets such as `/ws/orders`). */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Take a stream slot for `response`'s lifetime (the gateway's own `/_sim/events`); false when all are taken. */
  admitStream(response: ServerResponse): boolean;
  /** Close the kept-alive connections to the processes. */
  close(): void;
}

// Hop-by-hop headers (RFC 9110 7.6.1) are the connection's own, never forwarded.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * A reverse proxy by contract operation, as `ecom gateway` runs it: Connect and gRPC-web paths
 * (`/ecom.<context>.v1.<Service>/<Method>`) go to the process serving `<context>`, REST requests to the one serving
 * the context whose operation they match, WebSocket upgrades likewise; request and response bodies stream through
 * (SSE included). Validation, auth and Idempotency-Key run in the owning process, as they do in one process, which
 * counts the request as the client's address: the gateway appends it to `X-Forwarded-For` and proves with its token
 * that it did (forwarded-client.ts). A service token from outside is dropped here (only processes call with one),
 * so an outside request is always a customer's or anonymous. A context no process serves, or a process that does not answer, is 503 `unavailable`.
 * HTTP/2 gRPC is not proxied (HTTP/1.1 only): gRPC clients use the processes or gRPC-web.
 *
 * Event streams hold their connection to the process for as long as the client reads, so they never take one of the
 * kept-alive sockets other requests share: each has a connection of its own (up to `maxStreams` of them in all and
 * `streamSocketsPerProcess` to one process, beyond which a stream is refused 503 with Retry-After rather than left
 * waiting for a socket), and a gateway full of open streams still answers REST and Connect.
 */
export function createGatewayRouter(options: GatewayRouterOptions): GatewayRouter {
  const router = options.router ?? new RestRouter();
  const maxStreams = options.maxStreams ?? DEFAULT_SERVER_LIMITS.maxStreams;
  const slots = createStreamSlots(maxStreams);
  // Every connection to a process comes from the gateway's one address, which a process lets hold 1,024 at once:
  // requests keep `requestSockets` of them per process and streams may take the rest, while `maxStreams` bounds the
  // streams of all processes together. Each process's streams are counted here: the agent would queue one past its
  // sockets until another ended, which for a stream is as good as never.
  const requestSockets = options.requestSockets ?? 256;
  const streamSockets =
    options.streamSocketsPerProcess ?? Math.max(1, DEFAULT_SERVER_LIMITS.maxConnectionsPerAddress - requestSockets);
  const agent = new Agent({ keepAlive: true, maxSockets: requestSockets });
  // A stream's connection is not reused after it: a kept-alive pool would only hold sockets no one asks for.
  const streamAgent = new Agent({ keepAlive: false, maxSockets: streamSockets });
  /** Streams open to each process, by its origin (the agent's own key is its host and port). */
  const streamsTo = new Map<string, number>();

  /** The context owning a request, and whether its answer is an event stream. */
  const routeOf = (method: string, url: string, accept?: string): { context: string; stream: boolean } | undefined => {
    const pathname = url.split(/[?#]/, 1)[0] ?? url;
    if (pathname.startsWith("/ecom.")) {
      const context = contextOfService(pathname.slice(1).split("/", 1)[0] ?? "");
      return context === undefined ? undefined : { context, stream: false };
    }
    if (pathname.startsWith("/_sim/") || pathname === "/healthz") return undefined;
    const routed = router.route(method, pathname);
    if (routed.kind !== "match") return undefined;
    const stream =
      routed.match.operation.responses.some((answer) => answer.contentType === "text/event-stream") ||
      Boolean(accept?.includes("text/event-stream"));
    return { context: routed.match.context, stream };
  };
  const contextOf = (method: string, url: string) => routeOf(method, url)?.context;

  /** Take a slot (and one of `origin`'s, for a stream to a process) until `done` closes; false when none is free. */
  const admit = (done: { once(event: "close", listener: () => void): unknown }, origin?: string) => {
    const toProcess = origin === undefined ? 0 : (streamsTo.get(origin) ?? 0);
    if (toProcess >= streamSockets || !slots.acquire()) return false;
    if (origin !== undefined) streamsTo.set(origin, toProcess + 1);
    done.once("close", () => {
      slots.release();
      if (origin === undefined) return;
      const left = (streamsTo.get(origin) ?? 1) - 1;
      if (left > 0) streamsTo.set(origin, left);
      else streamsTo.delete(origin);
    });
    return true;
  };

  /** The process serving the context of a request, or why none can take it. */
  const targetOf = (
    request: IncomingMessage,
  ): { url: URL; context: string; stream: boolean } | "local" | ServiceError => {
    const route = routeOf(request.method ?? "GET", request.url ?? "/", request.headers.accept);
    if (route === undefined) return "local";
    const { context, stream } = route;
    const url = options.registry.urlOf(context);
    if (url === undefined)
      return new ServiceError(
        "unavailable",
        `No process serves ${context} at the moment; start one with ecom serve --contexts ${context}.`,
      );
    return { url: new URL(url), context, stream };
  };

  const forwardedHeaders = (request: IncomingMessage, keepUpgrade: boolean): IncomingHttpHeaders => {
    const headers: IncomingHttpHeaders = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (
        name.startsWith(":") ||
        (HOP_BY_HOP.has(name) && !(keepUpgrade && (name === "upgrade" || name === "connection")))
      )
        continue;
      headers[name] = value;
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (bearer !== undefined && claimsServiceType(bearer)) delete headers.authorization;
    if (options.publicEdge) {
      delete headers.traceparent;
      delete headers.tracestate;
    }
    // Only the gateway vouches for an address: a client's own token header never passes.
    delete headers[GATEWAY_TOKEN_HEADER];
    Object.assign(
      headers,
      forwardedClientHeaders(options.tokens, request.headers["x-forwarded-for"], request.socket.remoteAddress),
    );
    if (request.headers.host) headers["x-forwarded-host"] = request.headers.host;
    return headers;
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const target = targetOf(request);
    if (target === "local") return options.local(request, response);
    const instance = (request.url ?? "/").split("?", 1)[0] ?? "/";
    if (target instanceof ServiceError) return writeProblem(response, target, instance);
    if (target.stream && !admit(response, target.url.origin)) return tooManyStreams(response, instance);
    const upstream = httpRequest({
      agent: target.stream ? streamAgent : agent,
      protocol: target.url.protocol,
      hostname: target.url.hostname,
      port: target.url.port,
      method: request.method,
      path: request.url,
      headers: forwardedHeaders(request, false),
    });
    upstream.on("response", (answer) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      response.writeHead(answer.statusCode ?? 502, answer.statusMessage, headers);
      // Streams (SSE) are written as they come: no buffering between the process and the client.
      response.flushHeaders();
      answer.pipe(response);
      answer.on("error", () => response.destroy());
    });
    upstream.on("error", (error) => {
      if (response.headersSent) return response.destroy();
      writeProblem(
        response,
        new ServiceError(
          "unavailable",
          `The process serving ${target.context} (${target.url.origin}) did not answer: ${error.message}.`,
        ),
        instance,
      );
    });
    // A client that goes away (an SSE reader closing its tab) ends the request to the process too.
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = targetOf(request);
    if (target === "local") {
      if (options.localUpgrade) return options.localUpgrade(request, socket, head);
      return refuseUpgrade(socket, new ServiceError("not_found", `Nothing to upgrade at ${request.url ?? "/"}.`));
    }
    if (target instanceof ServiceError) return refuseUpgrade(socket, target);
    if (!admit(socket, target.url.origin))
      return refuseUpgrade(
        socket,
        new ServiceError("unavailable", "Too many event streams are open; try again in a few seconds.", {
          retryAfterSeconds: 5,
        }),
      );
    // Its own connection: once upgraded, the socket leaves any agent's pool, and a pooled one would wait its turn.
    const upstream = httpRequest({
      agent: streamAgent,
      protocol: target.url.protocol,
      hostname: target.url.hostname,
      port: target.url.port,
      method: request.method,
      path: request.url,
      headers: forwardedHeaders(request, true),
    });
    upstream.on("upgrade", (answer, upstreamSocket, upstreamHead) => {
      socket.write(statusLines(answer));
      if (upstreamHead.length > 0) socket.write(upstreamHead);
      if (head.length > 0) upstreamSocket.write(head);
      upstreamSocket.pipe(socket).pipe(upstreamSocket);
      upstreamSocket.on("error", () => socket.destroy());
      socket.on("error", () => upstreamSocket.destroy());
      upstreamSocket.on("close", () => socket.destroy());
      socket.on("close", () => upstreamSocket.destroy());
    });
    // The process refused the upgrade (401, 404, …): its answer goes back as is, and the connection ends.
    upstream.on("response", async (answer) => {
      const chunks: Buffer[] = [];
      for await (const chunk of answer) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ""}`];
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "content-length")
          lines.push(`${name}: ${Array.isArray(value) ? value.join(", ") : value}`);
      lines.push(`content-length: ${body.length}`, "connection: close");
      socket.end(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`), body]));
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
    upstream.end();
  };

  return {
    contextOf,
    handle,
    upgrade,
    admitStream: (response) => admit(response),
    close: () => {
      agent.destroy();
      streamAgent.destroy();
    },
  };
}

/** An HTTP/1.1 status line and headers, as a raw socket takes them. */
function statusLines(answer: IncomingMessage): string {
  const lines = [`HTTP/1.1 ${answer.statusCode ?? 502} ${answer.statusMessage ?? ""}`];
  for (let i = 0; i < answer.rawHeaders.length; i += 2)
    lines.push(`${answer.rawHeaders[i]}: ${answer.rawHeaders[i + 1]}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Refuse an upgrade on its raw socket with a problem (and its Retry-After, when it has one). */
function refuseUpgrade(socket: Duplex, error: ServiceError): void {
  const problem = problemResponse(error, "", "");
  const headers = Object.entries(problem.headers)
    .filter(([name]) => name !== "content-length")
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.end(
    `HTTP/1.1 ${problem.status} ${error.code}\r\n${headers}` +
      `content-length: ${Buffer.byteLength(problem.body)}\r\nconnection: close\r\n\r\n${problem.body}`,
  );
}
