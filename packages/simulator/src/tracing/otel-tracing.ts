import { AsyncLocalStorage } from "node:async_hooks";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { type ContextTracing, isServiceError, type Logger, type MessageHandler } from "@ecom/services/platform";
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { LoggedEvent } from "../event-log.js";
import { createOtlpExporter } from "./otlp-exporter.js";
import type { EnvelopeTrace, PlatformTracing, TracedRoute, TracingOptions, TrustsCaller } from "./platform-tracing.js";
import { createTraceBuffer } from "./trace-buffer.js";

/** The instrumentation scope every span of the platform carries. */
const SCOPE = "@ecom/simulator";
const propagator = new W3CTraceContextPropagator();

/** Connect's (fetch) Headers as a carrier of `traceparent`. */
const headerSetter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };
const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The envelope fields a subscriber's span reads. */
interface TracedEnvelope {
  readonly eventId: string;
  readonly eventType: string;
  readonly correlationId: string;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** `invalid_argument`: the Connect code as the Connect protocol writes it (`rpc.connect_rpc.error_code`). */
function connectCodeName(error: unknown): string {
  return Code[ConnectError.from(error).code].replace(
    /[A-Z]/g,
    (letter, index: number) => `${index > 0 ? "_" : ""}${letter.toLowerCase()}`,
  );
}

/**
 * What a failed span says of its error: the stable code alone (`not_found`, `invalid_argument`), never the message or
 * stack, which may carry a customer's data (a card token) out to a collector that is outside the platform.
 */
function errorCodeOf(error: unknown): string {
  if (isServiceError(error)) return error.code;
  if (error instanceof ConnectError) return connectCodeName(error);
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The platform's tracing on OpenTelemetry's SDK. The active span travels in an AsyncLocalStorage of this platform's
 * own (no global context manager or tracer provider is installed, so platforms in one process keep apart); across
 * an RPC it travels as a W3C `traceparent` header, across the outbox in the event envelope's `traceId` and `spanId`.
 */
export async function createOtelTracing(
  options: TracingOptions & { readonly otlp: boolean },
  routeOf: (method: string, pathname: string) => TracedRoute | undefined,
  log: Logger,
  trustsCaller: TrustsCaller,
): Promise<PlatformTracing> {
  const processors: SpanProcessor[] = (options.exporters ?? []).map((exporter) =>
    "onEnd" in exporter ? exporter : new SimpleSpanProcessor(exporter as SpanExporter),
  );
  // Batched as OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_* variables say (the SDK reads them).
  if (options.otlp) processors.push(new BatchSpanProcessor(await createOtlpExporter(process.env)));
  const buffer = options.keepSpans ? createTraceBuffer(options.keepSpans) : undefined;
  if (buffer) processors.push(buffer);
  const provider = new BasicTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
    resource: resourceFromAttributes({ "service.name": "ecom-simulator" }).merge(
      detectResources({ detectors: [envDetector] }),
    ),
    spanProcessors: processors,
  });
  const tracer = provider.getTracer(SCOPE);
  const store = new AsyncLocalStorage<Context>();
  const active = () => store.getStore() ?? ROOT_CONTEXT;

  /**
   * Run `work` with `span` active; a throw marks the span failed with the error's code as `error.type` and status
   * description (see {@link errorCodeOf}). The span ends when `work` settles.
   */
  const run = async <TResult>(
    span: Span,
    parent: Context,
    work: () => Promise<TResult>,
    failed?: (error: unknown) => Attributes,
  ): Promise<TResult> => {
    try {
      return await store.run(trace.setSpan(parent, span), work);
    } catch (error) {
      const code = errorCodeOf(error);
      span.setAttributes({ "error.type": code, ...failed?.(error) });
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      throw error;
    } finally {
      span.end();
    }
  };
  /** The context a `traceparent` names, or undefined when it names none (absent, malformed). */
  const fromTraceparent = (traceparent: string | null | undefined): Context | undefined => {
    if (!traceparent) return undefined;
    const context = propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
    return trace.getSpanContext(context) ? context : undefined;
  };
  /** The context of the outbox append an envelope names. */
  const fromEnvelope = (envelope: { readonly traceId?: string; readonly spanId?: string }): Context =>
    envelope.traceId && envelope.spanId
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: envelope.traceId,
          spanId: envelope.spanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        })
      : ROOT_CONTEXT;
  /**
   * The parent of a request's span at the public edge. A caller's trace id goes into event envelopes and out to
   * partners in webhooks' `traceparent`, so only a trusted caller (`trustsCaller`) chooses it; anyone else's request
   * starts a trace of its own, linked to the one it named.
   */
  const edgeParent = (
    incoming: Context,
    authorization: string | undefined,
  ): { readonly parent: Context; readonly links?: Link[] } => {
    const named = trace.getSpanContext(incoming);
    if (!named || trustsCaller(authorization)) return { parent: incoming };
    return { parent: ROOT_CONTEXT, links: [{ context: named }] };
  };
  const traceparentOf = (context: Context): string | undefined => {
    const carrier: Record<string, string> = {};
    propagator.inject(context, carrier, { set: (target, key, value) => (target[key] = value) });
    return carrier.traceparent;
  };

  const rpcAttributes = (request: Parameters<Parameters<Interceptor>[0]>[0]): Attributes => ({
    "rpc.system": "connect_rpc",
    "rpc.service": request.service.typeName,
    "rpc.method": request.method.name,
    // ecom.<context>.v1.<Service>: the context that serves it.
    "ecom.context": request.service.typeName.split(".")[1] ?? "",
  });
  const rpcClient: Interceptor = (next) => (request) => {
    const parent = active();
    const span = tracer.startSpan(
      `${request.service.typeName}/${request.method.name}`,
      { kind: SpanKind.CLIENT, attributes: rpcAttributes(request) },
      parent,
    );
    const context = trace.setSpan(parent, span);
    propagator.inject(context, request.header, headerSetter);
    return run(
      span,
      parent,
      () => next(request),
      (error) => ({ "rpc.connect_rpc.error_code": connectCodeName(error) }),
    );
  };
  /** A SERVER span per call; at the edge (the port's router) the caller's `traceparent` is weighed by {@link edgeParent}. */
  const rpcServerAt =
    (edge: boolean): Interceptor =>
    (next) =>
    (request) => {
      const extracted = propagator.extract(active(), request.header, headerGetter);
      const { parent, links } = edge
        ? edgeParent(extracted, request.header.get("authorization") ?? undefined)
        : { parent: extracted, links: undefined };
      const span = tracer.startSpan(
        `${request.service.typeName}/${request.method.name}`,
        { kind: SpanKind.SERVER, attributes: rpcAttributes(request), ...(links ? { links } : {}) },
        parent,
      );
      return run(
        span,
        parent,
        () => next(request),
        (error) => ({ "rpc.connect_rpc.error_code": connectCodeName(error) }),
      );
    };

  const contextTracing = (context: string): ContextTracing => ({
    inSpan(name, spanOptions, work) {
      const parent = spanOptions.parent === null ? ROOT_CONTEXT : (fromTraceparent(spanOptions.parent) ?? active());
      const span = tracer.startSpan(
        `${context} ${name}`,
        { attributes: { "ecom.context": context, ...spanOptions.attributes } },
        parent,
      );
      return run(span, parent, work);
    },
    traceparent: () => (trace.getSpan(active()) ? traceparentOf(active()) : undefined),
  });

  return {
    enabled: true,
    contextTracing,
    rpcClientInterceptors: [rpcClient],
    rpcServerInterceptors: [rpcServerAt(false)],
    rpcEdgeInterceptors: [rpcServerAt(true)],
    async rest(request, serve) {
      const pathname = request.url.split(/[?#]/, 1)[0] ?? "/";
      const route = routeOf(request.method, pathname);
      const incoming = fromTraceparent(request.headers.traceparent);
      const { parent, links } = incoming
        ? edgeParent(incoming, request.headers.authorization)
        : { parent: active(), links: undefined };
      const span = tracer.startSpan(
        route ? `${request.method} ${route.path}` : request.method,
        {
          kind: SpanKind.SERVER,
          ...(links ? { links } : {}),
          attributes: {
            "http.request.method": request.method,
            "url.path": pathname,
            ...(route
              ? { "http.route": route.path, "ecom.context": route.context, "ecom.operation_id": route.operationId }
              : {}),
          },
        },
        parent,
      );
      return run(span, parent, async () => {
        const response = await serve(request);
        span.setAttribute("http.response.status_code", response.status);
        const correlationId = response.headers["correlation-id"];
        if (correlationId) span.setAttribute("ecom.correlation_id", correlationId);
        if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return response;
      });
    },
    published(producer, eventType, eventId, correlationId): EnvelopeTrace {
      const span = tracer.startSpan(
        `${producer} publish ${eventType}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            "messaging.system": "ecom",
            "messaging.operation.type": "create",
            "messaging.destination.name": eventType,
            "messaging.message.id": eventId,
            "ecom.context": producer,
            "ecom.correlation_id": correlationId,
          },
        },
        active(),
      );
      span.end();
      const { traceId, spanId } = span.spanContext();
      return { traceId, spanId };
    },
    relayed(events: readonly LoggedEvent[]) {
      for (const event of events) {
        const envelope = JSON.parse(event.envelope) as TracedEnvelope;
        tracer
          .startSpan(
            `${event.producer} relay ${event.eventType}`,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                "messaging.system": "ecom",
                "messaging.operation.type": "send",
                "messaging.destination.name": event.eventType,
                "messaging.message.id": event.eventId,
                "ecom.context": event.producer,
                "ecom.correlation_id": event.correlationId,
                "ecom.event.seq": event.seq,
              },
            },
            fromEnvelope(envelope),
          )
          .end();
      }
    },
    subscriber(context, handlers) {
      const traced: Record<string, MessageHandler<never, never>> = {};
      for (const [type, handler] of Object.entries(handlers)) {
        traced[type] = (message, trx) => {
          const envelope = message as TracedEnvelope;
          const parent = fromEnvelope(envelope);
          const span = tracer.startSpan(
            `${context} process ${type}`,
            {
              kind: SpanKind.CONSUMER,
              attributes: {
                "messaging.system": "ecom",
                "messaging.operation.type": "process",
                "messaging.destination.name": type,
                "messaging.message.id": envelope.eventId,
                "messaging.consumer.group.name": context,
                "ecom.context": context,
                "ecom.correlation_id": envelope.correlationId,
              },
            },
            parent,
          );
          return run(span, parent, () => handler(message, trx));
        };
      }
      return traced;
    },
    buffer,
    flush: () => provider.forceFlush(),
    // An endpoint that does not answer loses the last spans; it must not stop the platform from closing.
    close: () =>
      provider
        .shutdown()
        .catch((error: unknown) => log.warn("the last spans were not exported", { error: String(error) })),
  };
}
