import { Agent, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ServiceError } from "@ecom/services/platform";
import { DEFAULT_SERVER_LIMITS } from "../connection-limits.js";
import { RestRouter } from "../gateway/rest-router.js";
import { writeProblem } from "../problem.js";
import { tooManyStreams } from "../stream-pump.js";
import { forwardedHeaders } from "./forwarded-headers.js";
import { routeOf, targetOf } from "./gateway-target.js";
import { proxyHttp } from "./proxy-http.js";
import { proxyUpgrade, refuseUpgrade } from "./proxy-upgrade.js";
import type { ServiceTokens } from "./service-token.js";
import { createStreamAdmission } from "./stream-admission.js";

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
  // Every connection to a process comes from the gateway's one address, which a process lets hold 1,024 at once:
  // requests keep `requestSockets` of them per process and streams may take the rest, while `maxStreams` bounds the
  // streams of all processes together. Each process's streams are counted here: the agent would queue one past its
  // sockets until another ended, which for a stream is as good as never.
  const requestSockets = options.requestSockets ?? 256;
  const streamSockets =
    options.streamSocketsPerProcess ?? Math.max(1, DEFAULT_SERVER_LIMITS.maxConnectionsPerAddress - requestSockets);
  const admit = createStreamAdmission(maxStreams, streamSockets);
  const agent = new Agent({ keepAlive: true, maxSockets: requestSockets });
  // A stream's connection is not reused after it: a kept-alive pool would only hold sockets no one asks for.
  const streamAgent = new Agent({ keepAlive: false, maxSockets: streamSockets });

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const target = targetOf(router, options.registry, request);
    if (target === "local") return options.local(request, response);
    const instance = (request.url ?? "/").split("?", 1)[0] ?? "/";
    if (target instanceof ServiceError) return writeProblem(response, target, instance);
    if (target.stream && !admit(response, target.url.origin)) return tooManyStreams(response, instance);
    proxyHttp(request, response, target, {
      agent: target.stream ? streamAgent : agent,
      headers: forwardedHeaders(request, false, options),
      instance,
    });
  };

  const upgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = targetOf(router, options.registry, request);
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
    proxyUpgrade(request, socket, head, target, { streamAgent, headers: forwardedHeaders(request, true, options) });
  };

  return {
    contextOf: (method, url) => routeOf(router, method, url)?.context,
    handle,
    upgrade,
    admitStream: (response) => admit(response),
    close: () => {
      agent.destroy();
      streamAgent.destroy();
    },
  };
}
