import { rpcAccess } from "@ecom/sdk/rpc";
import { ServiceError, type TokenService } from "@ecom/services/platform";
import { accessDenied, callerOf } from "./access-policy.js";
import type { RestRouter } from "./gateway/rest-router.js";
import { GRAPHQL_PATH } from "./lazy-graphql-endpoint.js";
import type { RunningContext } from "./platform-contexts.js";
import type { TracedRoute } from "./tracing/platform-tracing.js";

/** The REST operation a request is for, as its trace names it; undefined for anything else. */
export function tracedRouteOf(router: RestRouter): (method: string, pathname: string) => TracedRoute | undefined {
  return (method, pathname) => {
    const routed = router.route(method, pathname);
    if (routed.kind !== "match") return undefined;
    const { context, operation } = routed.match;
    return { context, operationId: operation.operationId, path: operation.path };
  };
}

/** A request's operation as a metrics label: only names the contracts define, so callers cannot grow the set. */
export function operationLabeller(router: RestRouter): (method: string, url: string) => string {
  return (method, url) => {
    const pathname = url.split(/[?#]/, 1)[0] ?? url;
    if (pathname.startsWith("/ecom."))
      return Object.hasOwn(rpcAccess, pathname.slice(1)) ? pathname.slice(1) : "unknown";
    if (pathname === "/healthz" || pathname === "/metrics" || pathname === GRAPHQL_PATH) return pathname.slice(1);
    if (pathname.startsWith("/_sim/")) return "_sim";
    const routed = router.route(method, pathname);
    if (routed.kind === "match") return routed.match.operation.operationId;
    return method === "GET" && !pathname.startsWith("/_") ? "console" : "unknown";
  };
}

/**
 * The operations served live rather than as REST: a context's event streams (server-sent events) and WebSockets,
 * found by a request's method and URL, and the access rule that refuses a stream's request.
 */
export function createLiveRoutes(router: RestRouter, running: readonly RunningContext[], tokens: TokenService) {
  /** The event-stream source of a GET request's operation, when a context serves it as one. */
  const partsOf = (contextName: string) => running.find((context) => context.module.name === contextName)?.parts;
  // Only a few GET operations are served as event streams or WebSockets: a router of those alone turns every other
  // request away without parsing its URL or scanning the whole contract.
  const liveRouter = router.only(
    (context, operation) =>
      operation.method === "GET" &&
      Boolean(partsOf(context)?.streams?.[operation.operationId] ?? partsOf(context)?.sockets?.[operation.operationId]),
  );
  /** The full route of a GET that may be a stream or socket operation; undefined for the rest. */
  const liveRoute = (method: string, url: string) => {
    if (method !== "GET") return undefined;
    if (url.startsWith("/") && liveRouter.route(method, url.split(/[?#]/, 1)[0] ?? url).kind !== "match")
      return undefined;
    const routed = router.route(method, new URL(url, "http://gateway.invalid").pathname);
    return routed.kind === "match" ? routed.match : undefined;
  };
  const sourceOf = (contextName: string, operationId: string) => partsOf(contextName)?.sockets?.[operationId];
  return {
    streamOf(method: string, url: string) {
      const match = liveRoute(method, url);
      return match && partsOf(match.context)?.streams?.[match.operation.operationId];
    },
    /** Why a stream operation's request is refused (the same rule and token check as REST), or undefined. */
    streamRefusal(method: string, url: string, authorization: string | undefined) {
      const routed = router.route(method, new URL(url, "http://gateway.invalid").pathname);
      if (routed.kind !== "match") return undefined;
      try {
        const caller = callerOf(tokens, authorization);
        return accessDenied(routed.match.operation.access, caller, `${method} ${routed.match.operation.path}`);
      } catch (error) {
        return ServiceError.from(error);
      }
    },
    sourceOf,
    /** The WebSocket source of a GET request's operation, when a context serves it as one. */
    socketOf(method: string, url: string) {
      const match = liveRoute(method, url);
      return match && sourceOf(match.context, match.operation.operationId);
    },
  };
}

/** The live operations of a platform's contexts (see {@link createLiveRoutes}). */
export type LiveRoutes = ReturnType<typeof createLiveRoutes>;
