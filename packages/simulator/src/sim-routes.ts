import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type BreakerStatus,
  type FaultSwitches,
  redactEnvelopeText,
  redactMessage,
  ServiceError,
  type SimulatedEndpoint,
} from "@ecom/services/platform";
import type { EventLogReader } from "./bus/event-bus.js";
import type { GatewayRequest, GatewayResponse } from "./gateway/rest-gateway.js";
import type { HealthReport } from "./platform-health.js";
import { problemResponse } from "./problem.js";
import type { TracedCall } from "./rpc-trace.js";
import { parseDuration } from "./sim-duration.js";
import { createSettleRoute, SETTLE_BODY_HINT, settleRequestOf } from "./sim-settle.js";
import type { StreamGate } from "./stream-gate.js";
import { pumpEvents } from "./stream-pump.js";
import type { VirtualClock } from "./virtual-clock.js";

/** What the simulator's own routes need. */
export interface SimRoutesOptions {
  readonly clock: VirtualClock;
  readonly faults: FaultSwitches;
  readonly eventLog: EventLogReader;
  readonly advanceClock: (milliseconds: number) => Promise<Date>;
  readonly contexts: readonly string[];
  readonly health: () => Promise<HealthReport>;
  /** Deliver every event and end every saga run (`POST /_sim/settle`): the platform's settle(). */
  readonly settle: () => Promise<void>;
  /** Whether the process applied the clock up to a time, for a settle that carries the shared clock (sim-settle.ts). */
  readonly clockApplied?: (time: Date, signal: AbortSignal) => Promise<boolean>;
  /** The platform's metrics in Prometheus' text format (`GET /metrics`). */
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly body: string }>;
  /** Every context's circuit breakers. */
  readonly breakers?: () => readonly BreakerStatus[];
  /** The contexts' views of what they simulate (`GET /_sim/<name>`: the mailbox), by name. */
  readonly views?: Readonly<Record<string, (query: URLSearchParams) => Promise<unknown>>>;
  /** The external systems the contexts talk to, as the simulator stands in for them (`/_sim/<path>`), by path. */
  readonly endpoints?: Readonly<Record<string, SimulatedEndpoint>>;
  /** The RPCs between contexts recorded for a correlation id. */
  readonly rpcCalls?: (correlationId: string) => readonly TracedCall[];
  /** A stream whose socket stays full this long is dropped. */
  readonly slowStreamTimeoutMs: number;
  /** Turns for the streams' log reads, shared with every stream of the platform. */
  readonly gate: StreamGate;
  /**
   * Whether a request with this Authorization header comes from an admin: only then do `/_sim/log` and
   * `/_sim/events` show the events' redacted fields (a payment token) as they are.
   */
  readonly isAdmin: (authorization: string | undefined) => boolean;
}

const json = (status: number, body: unknown): GatewayResponse => ({
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** A 400 from the one problem builder, so `/_sim` answers like every other route. */
const problem = (_status: 400, code: "validation", detail: string): GatewayResponse =>
  problemResponse(new ServiceError(code, detail), "/_sim", "");

/**
 * The simulator's own surface beside the contracts: `GET /healthz`, `GET /metrics` (Prometheus), the virtual clock (`GET /_sim/clock`,
 * `POST /_sim/clock/advance`), settling (`POST /_sim/settle`: every event delivered, every saga run ended), fault
 * switches (`GET`/`POST /_sim/faults`), the event log as JSON (`GET /_sim/log`,
 * filtered by `?correlationId=`, `?types=`, `?since=`, `?limit=`), circuit breakers (`GET /_sim/breakers`), the contexts'
 * views of what they simulate (`GET /_sim/mailbox`: the e-mail the customers were sent), the external systems they
 * talk to (`/_sim/processor/soap`: the payment processor's SOAP interface, its WSDL at `?wsdl`), the RPCs between contexts of one flow (`GET /_sim/rpcs?correlationId=`) and the live stream of every event
 * (`GET /_sim/events`, SSE, resumable with `Last-Event-ID` or `?since=`, filtered by `?types=` and `?correlationId=`).
 */
export function createSimRoutes(options: SimRoutesOptions) {
  const streams = new Set<ServerResponse>();
  const viewOf = (pathname: string) => {
    const name = /^\/_sim\/([a-z][a-z-]*)$/.exec(pathname)?.[1];
    return name !== undefined && Object.hasOwn(options.views ?? {}, name) ? options.views?.[name] : undefined;
  };

  const endpointOf = (pathname: string) => {
    const path = pathname.slice("/_sim/".length);
    return pathname.startsWith("/_sim/") && Object.hasOwn(options.endpoints ?? {}, path)
      ? options.endpoints?.[path]
      : undefined;
  };

  const settle = createSettleRoute({
    settle: options.settle,
    lastSeq: () => options.eventLog.lastSeq(),
    ...(options.clockApplied ? { clockApplied: options.clockApplied } : {}),
  });

  async function handle(request: GatewayRequest): Promise<GatewayResponse | undefined> {
    const url = new URL(request.url, "http://sim.invalid");
    const route = `${request.method} ${url.pathname}`;
    // 200 while the process can serve; the body says whether all is well ("ok") or not ("degraded", with reasons).
    if (route === "GET /healthz") return json(200, await options.health());
    if (route === "GET /metrics" && options.metrics) {
      const { contentType, body } = await options.metrics();
      return { status: 200, headers: { "content-type": contentType }, body };
    }
    if (route === "GET /_sim/clock") return json(200, { now: options.clock.now().toISOString() });
    if (route === "POST /_sim/clock/advance") {
      let body: { by?: unknown; ms?: unknown; seconds?: unknown } = {};
      try {
        body = request.body === "" ? {} : JSON.parse(request.body);
      } catch {
        return problem(400, "validation", 'The body must be JSON like {"by": "15m"}.');
      }
      const milliseconds =
        body.by !== undefined
          ? parseDuration(body.by)
          : body.seconds !== undefined
            ? parseDuration(Number(body.seconds) * 1000)
            : parseDuration(body.ms);
      if (milliseconds === undefined)
        return problem(
          400,
          "validation",
          'Say how far to move the clock: {"by": "15m"} (ms, s, m, h, d), {"seconds": 900} or {"ms": 900000}.',
        );
      const now = await options.advanceClock(milliseconds);
      return json(200, { now: now.toISOString(), advancedByMs: milliseconds });
    }
    if (route === "POST /_sim/settle") {
      const asked = settleRequestOf(request.body);
      if (asked === undefined) return problem(400, "validation", SETTLE_BODY_HINT);
      try {
        return json(200, await settle(asked.timeoutMs, asked.clock));
      } catch (error) {
        return problemResponse(ServiceError.from(error), url.pathname, "");
      }
    }
    if (route === "GET /_sim/log") {
      const since = Number(url.searchParams.get("since") ?? 0);
      const limit = Math.min(1000, Number(url.searchParams.get("limit") ?? 200));
      if (!Number.isInteger(since) || since < 0 || !Number.isInteger(limit) || limit < 1) {
        return problem(400, "validation", "since and limit must be non-negative integers (limit at most 1000).");
      }
      const types = url.searchParams.get("types")?.split(",").filter(Boolean);
      const correlationId = url.searchParams.get("correlationId") ?? undefined;
      const events = await options.eventLog.read({
        afterSeq: since,
        limit,
        ...(types ? { types } : {}),
        ...(correlationId ? { correlationId } : {}),
      });
      const reveal = options.isAdmin(request.headers.authorization);
      return json(200, {
        events: events.map((event) => {
          const message = { seq: event.seq, ...JSON.parse(event.envelope) };
          return reveal ? message : redactMessage(message);
        }),
        lastSeq: await options.eventLog.lastSeq(),
      });
    }
    if (route === "GET /_sim/faults") return json(200, options.faults);
    if (route === "GET /_sim/breakers") return json(200, { breakers: options.breakers?.() ?? [] });
    if (route === "GET /_sim/rpcs") {
      const correlationId = url.searchParams.get("correlationId");
      if (!correlationId) return problem(400, "validation", "Say whose RPCs: ?correlationId=… (a checkout's, say).");
      return json(200, { calls: options.rpcCalls?.(correlationId) ?? [] });
    }
    const endpoint = endpointOf(url.pathname);
    if (endpoint) {
      // Absolute, with the host the caller used: a WSDL names its own address from it. Only the Host header's host
      // and port are taken (a malformed one falls back to localhost), never an absolute-form request target.
      const host = request.headers.host;
      const origin =
        host && URL.canParse(`http://${host}`) ? `http://${new URL(`http://${host}`).host}` : "http://localhost";
      const absolute = new URL(`${url.pathname}${url.search}`, origin).href;
      return endpoint({ method: request.method, url: absolute, headers: request.headers, body: request.body });
    }
    const view = request.method === "GET" ? viewOf(url.pathname) : undefined;
    if (view) {
      try {
        return json(200, await view(url.searchParams));
      } catch (error) {
        return problemResponse(ServiceError.from(error), url.pathname, "");
      }
    }
    if (route === "POST /_sim/faults") {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(request.body || "{}");
      } catch {
        return problem(400, "validation", 'The body must be JSON like {"paymentProcessorDown": true}.');
      }
      for (const [key, value] of Object.entries(body)) {
        if (!(key in options.faults))
          return problem(400, "validation", `Unknown fault ${key}; known: ${Object.keys(options.faults).join(", ")}.`);
        if (typeof value !== typeof options.faults[key as keyof FaultSwitches])
          return problem(400, "validation", `${key} takes a ${typeof options.faults[key as keyof FaultSwitches]}.`);
      }
      Object.assign(options.faults, body);
      return json(200, options.faults);
    }
    return undefined;
  }

  /** Serve `GET /_sim/events` as Server-Sent Events: the log from a point, then live. */
  async function streamEvents(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Opened in the streams' turn (stream-gate.ts): a burst of new streams comes in at the streams' pace.
    await options.gate.run(async () => openEventStream(request, response));
  }

  async function openEventStream(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (response.destroyed) return;
    const url = new URL(request.url ?? "/", "http://sim.invalid");
    const types = url.searchParams.get("types")?.split(",").filter(Boolean);
    const correlationId = url.searchParams.get("correlationId") ?? undefined;
    // A resume point that is not a sequence number (an id from elsewhere) means "from now", not "replay everything".
    const asked = Number(request.headers["last-event-id"] ?? url.searchParams.get("since") ?? Number.NaN);
    const since = Number.isSafeInteger(asked) && asked >= 0 ? asked : await options.eventLog.lastSeq();
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    response.write(": ecom event stream\n\n");
    const reveal = options.isAdmin(request.headers.authorization);
    streams.add(response);
    // Paged from the log with backpressure: a replay from 0 never loads the log, a client that does not read is dropped.
    pumpEvents({
      eventLog: options.eventLog,
      request,
      response,
      afterSeq: since,
      types,
      correlationId,
      frameOf: (event) => {
        const envelope = reveal ? event.envelope : redactEnvelopeText(event.eventType, event.envelope);
        return `id: ${event.seq}\nevent: ${event.eventType}\ndata: ${envelope}\n\n`;
      },
      slowStreamTimeoutMs: options.slowStreamTimeoutMs,
      gate: options.gate,
      onEnd: () => streams.delete(response),
    });
  }

  return {
    handle,
    streamEvents,
    /** End every open stream (on shutdown). */
    close() {
      for (const response of streams) response.end();
      streams.clear();
    },
  };
}
