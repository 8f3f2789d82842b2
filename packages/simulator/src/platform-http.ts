import { callerOf } from "./access-policy.js";
import type { AppliedClock } from "./applied-clock.js";
import { createEventSockets, upgradeRequiredResponse } from "./event-sockets.js";
import { initialStreamBody } from "./event-streams.js";
import { pathProblem } from "./gateway/request-checks.js";
import type { RestHandlerTable } from "./gateway/rest-gateway.js";
import {
  createRestGateway,
  type GatewayRequest,
  type GatewayResponse,
  problemResponse,
} from "./gateway/rest-gateway.js";
import type { RestRouter } from "./gateway/rest-router.js";
import { createLazyGraphqlEndpoint, GRAPHQL_PATH } from "./lazy-graphql-endpoint.js";
import type { PlatformMetrics } from "./metrics/platform-metrics.js";
import { createPlatformConsole } from "./platform-console.js";
import type { RunningContext } from "./platform-contexts.js";
import type { PlatformCore } from "./platform-core.js";
import type { HealthReport } from "./platform-health.js";
import type { LiveRoutes } from "./platform-routes.js";
import type { createRpcTrace } from "./rpc-trace.js";
import { createSimGuard } from "./sim-access.js";
import { createSimRoutes } from "./sim-routes.js";
import { createTraceRoutes } from "./tracing/trace-routes.js";

/** What the platform's HTTP surface is wired to. */
export interface PlatformHttpOptions {
  readonly core: PlatformCore;
  readonly running: readonly RunningContext[];
  readonly router: RestRouter;
  readonly live: LiveRoutes;
  readonly health: () => Promise<HealthReport>;
  readonly metrics: PlatformMetrics;
  readonly advanceClock: (milliseconds: number) => Promise<Date>;
  /** The platform's settle(), background work included (`POST /_sim/settle`). */
  readonly settle: () => Promise<void>;
  /** How far the platform applied its clock, for a settle that carries the shared clock. */
  readonly appliedClock: AppliedClock;
  readonly rpcTrace: ReturnType<typeof createRpcTrace>;
}

/**
 * The platform's HTTP surface apart from Connect: `/_sim` (guarded off loopback), the traces, the console, GraphQL,
 * the contexts' event streams and WebSockets, and REST through the gateway (with Idempotency-Keys). `handle` serves
 * one request in-process; the port's handler (platform-node.ts) serves the same through `serveChecked`, once it has
 * checked the path and held the streams open.
 */
export function createPlatformHttp(options: PlatformHttpOptions) {
  const { core, running, router, live } = options;
  const { tokens, ids, log, bus, clock, tracing } = core;
  const eventSockets = createEventSockets({
    eventLog: bus,
    router,
    sourceOf: live.sourceOf,
    tokens,
    ids,
    log,
    slots: core.streamSlots,
    gate: core.streamGate,
  });
  const handlers = new Map<string, RestHandlerTable>();
  for (const context of running) if (context.parts.rest) handlers.set(context.module.name, context.parts.rest);
  const restGateway = createRestGateway({
    router,
    handlers,
    tokens,
    idempotency: core.platformStore.idempotency,
    ids,
    log,
    validateResponses: core.options.validateResponses ?? true,
  });
  const simRoutes = createSimRoutesOf(options);
  let listeningHost: string | undefined;
  const consoleRoutes = createPlatformConsole({
    contexts: running.map((context) => context.module.name),
    devAccounts: core.options.devAccounts,
    host: () => listeningHost,
    handle: (request) => handle(request),
  });
  const graphqlEndpoint = createLazyGraphqlEndpoint({
    contexts: running.flatMap(({ module, parts }) =>
      parts.graphql ? [{ name: module.name, graphql: parts.graphql }] : [],
    ),
    log,
    checkToken: (authorization) => callerOf(tokens, authorization),
  });
  const simGuard = createSimGuard(tokens);
  const traceRoutes = createTraceRoutes(tracing, { traceUrl: core.options.tracing?.traceUrl });
  const handle = async (request: GatewayRequest): Promise<GatewayResponse> => {
    const badPath = pathProblem(request.url);
    if (badPath) return problemResponse(badPath, request.url.split("?", 1)[0] ?? "/", "");
    return serve(request, new URL(request.url, "http://gateway.invalid"), true);
  };
  /**
   * A request whose path passed {@link pathProblem}. `streams`: answer an event stream's request in-process (with
   * what a new subscriber is sent first); the port serves those itself, held open, before it comes here.
   */
  const serve = async (request: GatewayRequest, target: URL, streams: boolean): Promise<GatewayResponse> => {
    const { pathname } = target;
    const simRefused = simGuard.refusal(request.method, pathname, request.headers.authorization);
    if (simRefused) return problemResponse(simRefused, pathname, "");
    const sim = (await simRoutes.handle(request)) ?? traceRoutes(request) ?? (await consoleRoutes.handle(request));
    if (sim) return sim;
    if (graphqlEndpoint && pathname === GRAPHQL_PATH) return graphqlEndpoint(request);
    const stream = streams ? live.streamOf(request.method, request.url) : undefined;
    if (stream) {
      const refused = live.streamRefusal(request.method, request.url, request.headers.authorization);
      if (refused) return problemResponse(refused, pathname, "");
      // In-process there is no connection to keep open: the answer is what a new subscriber is sent first.
      const body = await initialStreamBody(bus, stream, request.headers["last-event-id"], clock.now());
      return { status: 200, headers: { "content-type": "text/event-stream" }, body };
    }
    if (live.socketOf(request.method, request.url)) {
      // Only a WebSocket handshake on the port (the server's upgrade event) opens the socket; anything else is told so.
      return upgradeRequiredResponse(pathname, request.headers["correlation-id"] || ids.next("cor"));
    }
    return tracing.rest(request, (traced) => restGateway(traced, target));
  };
  return {
    handle,
    /**
     * Serve a request the port has checked already (`target`: its URL, parsed): its path passed {@link pathProblem}
     * and it is not an event stream's (which the port holds open itself).
     */
    serveChecked: (request: GatewayRequest, target: URL) => serve(request, target, false),
    simRoutes,
    simGuard,
    eventSockets,
    /** Called when the port listens: the console's links name the host. */
    listeningOn(host: string) {
      listeningHost = host;
    },
  };
}

/** The platform's HTTP surface (see {@link createPlatformHttp}). */
export type PlatformHttp = ReturnType<typeof createPlatformHttp>;

/** `/_sim`: health, metrics, the clock, settling, faults, breakers, the contexts' views and endpoints, traced RPCs. */
function createSimRoutesOf(options: PlatformHttpOptions) {
  const { core, running } = options;
  return createSimRoutes({
    health: options.health,
    metrics: () => options.metrics.render(),
    clock: core.clock,
    faults: core.faults,
    eventLog: core.bus,
    advanceClock: options.advanceClock,
    settle: options.settle,
    clockApplied: (time, signal) => options.appliedClock.reached(time, signal),
    contexts: running.map((context) => context.module.name),
    slowStreamTimeoutMs: core.limits.slowStreamTimeoutMs,
    gate: core.streamGate,
    isAdmin: (authorization) => {
      try {
        const caller = callerOf(core.tokens, authorization);
        return caller.kind === "principal" && caller.principal.role === "admin";
      } catch {
        return false;
      }
    },
    breakers: () => running.flatMap((context) => context.parts.breakers?.() ?? []),
    views: Object.fromEntries(running.flatMap((context) => Object.entries(context.parts.views ?? {}))),
    endpoints: Object.fromEntries(running.flatMap((context) => Object.entries(context.parts.endpoints ?? {}))),
    rpcCalls: options.rpcTrace.callsOf,
  });
}
