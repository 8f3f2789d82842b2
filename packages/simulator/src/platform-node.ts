import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ServiceError, serviceErrorsAsConnect } from "@ecom/services/platform";
import { createClientAddress } from "./cluster/forwarded-client.js";
import { createServiceTokens } from "./cluster/service-token.js";
import { serveEventStream } from "./event-streams.js";
import { MAX_BODY_BYTES, readNodeRequest, writeNodeResponse } from "./gateway/node-adapter.js";
import { pathProblem } from "./gateway/request-checks.js";
import { problemResponse } from "./gateway/rest-gateway.js";
import type { PlatformMetrics } from "./metrics/platform-metrics.js";
import { createOnePortServer, type OnePortServer } from "./one-port-server.js";
import type { PlatformCore } from "./platform-core.js";
import type { PlatformHttp } from "./platform-http.js";
import type { LiveRoutes } from "./platform-routes.js";
import type { PlatformRpc } from "./platform-rpc.js";
import { writeProblem } from "./problem.js";
import { withRequestLog } from "./request-log.js";
import { tooManyStreams } from "./stream-pump.js";

type NodeHandler = ReturnType<typeof connectNodeAdapter>;

/** The platform's port: not listening until `listen`, closed by `close`. */
export interface PlatformPort {
  /** Listen on `port` (0 for any free one) of `host`; resolves to the base URL. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The platform's one port: Connect RPCs through connect-node, `/_sim/events` and the contexts' event streams held
 * open (each takes a stream slot), WebSockets on upgrade, and everything else through the in-process `handle`.
 */
export function createPlatformPort(parts: {
  readonly core: PlatformCore;
  readonly http: PlatformHttp;
  readonly live: LiveRoutes;
  readonly rpc: PlatformRpc;
  readonly metrics: PlatformMetrics;
}): PlatformPort {
  const { core, http, metrics } = parts;
  // Split mode: a gateway fronts the process, and the client address it forwards counts where its token is valid.
  const clientAddress = createClientAddress(
    core.external && core.options.split
      ? createServiceTokens({ key: core.external.stores.secrets.serviceToken })
      : undefined,
  );
  const nodeHandler = createNodeHandler({ ...parts, clientAddress });
  let server: OnePortServer | undefined;
  return {
    async listen(port, host) {
      http.simGuard.boundTo(host);
      const { onRequest } = core.options;
      const handler = withRequestLog(
        nodeHandler as never,
        (entry) => {
          metrics.observeRequest(entry);
          onRequest?.(entry);
        },
        clientAddress,
      );
      server = createOnePortServer(handler as never, { websocket: http.eventSockets.upgrade, limits: core.limits });
      http.listeningOn(host);
      const address: AddressInfo = await server.listen(port, host);
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
      core.folder?.recordListening(address.port, url);
      return url;
    },
    async close() {
      await server?.close();
    },
  };
}

function createNodeHandler(parts: {
  readonly core: PlatformCore;
  readonly http: PlatformHttp;
  readonly live: LiveRoutes;
  readonly rpc: PlatformRpc;
  readonly clientAddress: ReturnType<typeof createClientAddress>;
}): NodeHandler {
  const { core, http, live, rpc, clientAddress } = parts;
  const { log, streamSlots } = core;
  /** Take one of the stream slots for the response's lifetime; false when all are taken. */
  const admitStream = (response: ServerResponse) => {
    if (!streamSlots.acquire()) return false;
    response.once("close", () => streamSlots.release());
    return true;
  };
  const nodeFallback = async (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? "/";
    const badPath = pathProblem(url);
    if (badPath) return writeProblem(response, badPath, url.split("?", 1)[0] ?? "/");
    if (request.method === "GET" && url.startsWith("/_sim/events")) {
      const pathname = new URL(url, "http://gateway.invalid").pathname;
      const refused = http.simGuard.refusal("GET", pathname, request.headers.authorization);
      if (refused) return writeProblem(response, refused, pathname);
      if (!admitStream(response)) return tooManyStreams(response, pathname);
      return http.simRoutes.streamEvents(request, response);
    }
    const stream = live.streamOf(request.method ?? "GET", url);
    if (stream) {
      const refused = live.streamRefusal(request.method ?? "GET", url, request.headers.authorization);
      if (refused) return writeProblem(response, refused, new URL(url, "http://gateway.invalid").pathname);
    }
    if (stream) {
      if (!admitStream(response)) return tooManyStreams(response, new URL(url, "http://gateway.invalid").pathname);
      return serveEventStream(request, response, {
        eventLog: core.bus,
        source: stream,
        now: () => core.clock.now(),
        slowStreamTimeoutMs: core.limits.slowStreamTimeoutMs,
        gate: core.streamGate,
      });
    }
    const gatewayRequest = await readNodeRequest(request, clientAddress(request));
    if (!gatewayRequest) {
      const tooLarge = new ServiceError("payload_too_large", "The body is larger than 1 MiB; send a smaller one.");
      const problem = problemResponse(tooLarge, url.split("?", 1)[0] ?? "/", "");
      // The rest of the body is never read, so the connection cannot carry another request.
      return writeNodeResponse(response, { ...problem, headers: { ...problem.headers, connection: "close" } });
    }
    // The path is checked and the request is no stream's: what the in-process handle would look at again.
    writeNodeResponse(response, await http.serveChecked(gatewayRequest, new URL(url, "http://gateway.invalid")));
  };
  const fallback: NodeHandler = (request, response) => {
    const nodeResponse = response as ServerResponse;
    nodeFallback(request as IncomingMessage, nodeResponse).catch((error) => {
      log.error("request failed", { error: String(error) });
      if (!nodeResponse.headersSent) nodeResponse.writeHead(500).end();
    });
  };
  const connectHandler = connectNodeAdapter({
    routes: rpc.routes,
    // The same limit as REST bodies; connect-es would otherwise read up to 4 GiB.
    readMaxBytes: MAX_BODY_BYTES,
    interceptors: [
      ...core.tracing.rpcEdgeInterceptors,
      serviceErrorsAsConnect,
      rpc.accessInterceptor,
      rpc.faultInterceptor,
    ],
    fallback,
  });
  // Every RPC path is `/ecom.<context>.v1.<Service>/<Method>`; REST, /_sim and the console never start so, and skip
  // connect-node's route lookup and request wrapping (a fifth of a REST request's CPU).
  return (request, response) =>
    request.url?.startsWith("/ecom.") ? connectHandler(request, response) : fallback(request, response);
}
