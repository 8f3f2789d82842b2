import type { Interceptor } from "@connectrpc/connect";
import type { ContextTracing, Logger, MessageHandler } from "@ecom/services/platform";
import type { SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { LoggedEvent } from "../event-log.js";
import type { GatewayRequest, GatewayResponse } from "../gateway/rest-gateway.js";
import type { TraceBuffer } from "./trace-buffer.js";

/** How the platform traces: nothing, unless one of these asks for it. */
export interface TracingOptions {
  /**
   * Spans to these exporters or processors (an `InMemorySpanExporter` in a test; exporters are wrapped in a
   * SimpleSpanProcessor, so every span is exported as it ends).
   */
  readonly exporters?: readonly (SpanExporter | SpanProcessor)[];
  /**
   * Keep the spans of the latest traces in memory (at most this many spans), for `GET /_sim/traces/{traceId}` and the
   * console's waterfall: `ecom sim up --trace`. 0 or absent: none kept.
   */
  readonly keepSpans?: number;
  /**
   * A trace UI's address of one trace, `{traceId}` standing for its id (`http://localhost:16686/trace/{traceId}`,
   * Jaeger's): the console links each order to it. It turns nothing on by itself.
   */
  readonly traceUrl?: string | undefined;
}

/** A REST request's route, for the span's name and `http.route`. */
export interface TracedRoute {
  readonly context: string;
  readonly operationId: string;
  /** The contract's path template, `/carts/{cartId}/checkout`. */
  readonly path: string;
}

/** An event envelope's trace context, as the outbox writes it. */
export interface EnvelopeTrace {
  readonly traceId: string;
  readonly spanId: string;
}

/**
 * Whether a request at the public edge (REST, the port's Connect router) may name the trace it joins, by its
 * `Authorization` header: the `/_sim` guard's notion of a trusted caller (loopback, or an admin token).
 */
export type TrustsCaller = (authorization: string | undefined) => boolean;

/**
 * The runtime's hooks into the trace. Off (no exporter configured), every hook passes its work straight through,
 * no interceptor is added and no OpenTelemetry module is loaded: an untraced checkout pays for nothing.
 */
export interface PlatformTracing {
  readonly enabled: boolean;
  /** Given to each context as `runtime.tracing`; undefined when off. */
  contextTracing(context: string): ContextTracing | undefined;
  /** Client side of the in-process transport: a CLIENT span per call, its `traceparent` put in the call's headers. */
  readonly rpcClientInterceptors: readonly Interceptor[];
  /** Server side of the in-process Connect router: a SERVER span per call, the child of the caller's `traceparent`. */
  readonly rpcServerInterceptors: readonly Interceptor[];
  /**
   * Server side of the port's Connect router: as {@link rpcServerInterceptors}, but a `traceparent` of a caller the
   * platform does not trust (`trustsCaller`) only links a new root span to the caller's trace.
   */
  readonly rpcEdgeInterceptors: readonly Interceptor[];
  /** Serve a REST request in a SERVER span (the child of a trusted caller's `traceparent`, else linked to it). */
  rest(request: GatewayRequest, serve: (request: GatewayRequest) => Promise<GatewayResponse>): Promise<GatewayResponse>;
  /**
   * The outbox append of one event, as a PRODUCER span of the active trace: its ids go in the envelope, so every
   * subscriber's span is its child. Undefined when off (the outbox then makes a trace id of its own).
   */
  readonly published:
    | ((producer: string, eventType: string, eventId: string, correlationId: string) => EnvelopeTrace)
    | undefined;
  /** Events the relay appended to the log: a span each, the child of its outbox append. */
  relayed(events: readonly LoggedEvent[]): void;
  /** The subscriber's handlers, each running in a CONSUMER span that is the child of the event's outbox append. */
  subscriber(
    context: string,
    handlers: Record<string, MessageHandler<never, never>>,
  ): Record<string, MessageHandler<never, never>>;
  /** The kept spans (`keepSpans`), or undefined when none are kept. */
  readonly buffer: TraceBuffer | undefined;
  /** Export every span that has ended. */
  flush(): Promise<void>;
  /** Flush and stop exporting; spans the endpoint did not take are logged as lost, never thrown. */
  close(): Promise<void>;
}

const OFF: PlatformTracing = {
  enabled: false,
  contextTracing: () => undefined,
  rpcClientInterceptors: [],
  rpcServerInterceptors: [],
  rpcEdgeInterceptors: [],
  rest: (request, serve) => serve(request),
  published: undefined,
  relayed: () => {},
  subscriber: (_context, handlers) => handlers,
  buffer: undefined,
  flush: async () => {},
  close: async () => {},
};

/**
 * The platform's tracing: OpenTelemetry when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`)
 * is set and `OTEL_SDK_DISABLED` is not `true`, when exporters are given, or when spans are kept; otherwise off. The
 * SDK is imported only then, so neither start-up nor a request of an untraced run loads it. The SDK reads the rest of
 * the standard variables itself (`OTEL_EXPORTER_OTLP_*`, `OTEL_BSP_*`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`).
 */
export async function createPlatformTracing(
  options: TracingOptions,
  routeOf: (method: string, pathname: string) => TracedRoute | undefined,
  log: Logger,
  trustsCaller: TrustsCaller,
): Promise<PlatformTracing> {
  const env = process.env;
  const otlp =
    Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT) &&
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== "true";
  if (!otlp && !options.exporters?.length && !options.keepSpans) return OFF;
  const { createOtelTracing } = await import("./otel-tracing.js");
  return createOtelTracing({ ...options, otlp }, routeOf, log, trustsCaller);
}
