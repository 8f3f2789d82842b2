import {
  type Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from "node:http";
import { ServiceError } from "@ecom/services/platform";
import type { RestRouter } from "../gateway/rest-router.js";
import { contextOfService } from "./service-token.js";

/** The process a request goes to, the context it serves it for, and whether its answer is an event stream. */
export interface GatewayTarget {
  readonly url: URL;
  readonly context: string;
  readonly stream: boolean;
}

/** The context owning a request, and whether its answer is an event stream. */
export function routeOf(
  router: RestRouter,
  method: string,
  url: string,
  accept?: string,
): { context: string; stream: boolean } | undefined {
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
}

/** The process serving the context of a request, `"local"` when no context owns it, or why none can take it. */
export function targetOf(
  router: RestRouter,
  registry: { urlOf(context: string): string | undefined },
  request: IncomingMessage,
): GatewayTarget | "local" | ServiceError {
  const route = routeOf(router, request.method ?? "GET", request.url ?? "/", request.headers.accept);
  if (route === undefined) return "local";
  const { context, stream } = route;
  const url = registry.urlOf(context);
  if (url === undefined)
    return new ServiceError(
      "unavailable",
      `No process serves ${context} at the moment; start one with ecom serve --contexts ${context}.`,
    );
  return { url: new URL(url), context, stream };
}

/** The request to `target`'s process that passes on the client's `request` (its method and path), on `agent`. */
export function requestTo(
  target: GatewayTarget,
  request: IncomingMessage,
  agent: Agent,
  headers: IncomingHttpHeaders,
): ClientRequest {
  return httpRequest({
    agent,
    protocol: target.url.protocol,
    hostname: target.url.hostname,
    port: target.url.port,
    method: request.method,
    path: request.url,
    headers,
  });
}
