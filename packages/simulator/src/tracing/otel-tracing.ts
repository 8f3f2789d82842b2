import type { ContextTracing, Logger } from "@ecom/services/platform";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { publishedSpan, relayedSpans, tracedSubscriber } from "./messaging-spans.js";
import { createOtlpExporter } from "./otlp-exporter.js";
import type { PlatformTracing, TracedRoute, TracingOptions, TrustsCaller } from "./platform-tracing.js";
import { tracedRest } from "./rest-span.js";
import { rpcClientInterceptor, rpcServerInterceptor } from "./rpc-spans.js";
import { createSpanScope, type SpanScope } from "./span-scope.js";
import { createTraceBuffer } from "./trace-buffer.js";
import { fromTraceparent, traceparentOf } from "./trace-context.js";

/** The instrumentation scope every span of the platform carries. */
const SCOPE = "@ecom/simulator";

/** The span processors `options` ask for: the given exporters, OTLP, and the buffer of kept spans. */
async function spanProcessors(options: TracingOptions & { readonly otlp: boolean }) {
  const processors: SpanProcessor[] = (options.exporters ?? []).map((exporter) =>
    "onEnd" in exporter ? exporter : new SimpleSpanProcessor(exporter as SpanExporter),
  );
  // Batched as OTEL_BSP_SCHEDULE_DELAY and the other OTEL_BSP_* variables say (the SDK reads them).
  if (options.otlp) processors.push(new BatchSpanProcessor(await createOtlpExporter(process.env)));
  const buffer = options.keepSpans ? createTraceBuffer(options.keepSpans) : undefined;
  if (buffer) processors.push(buffer);
  return { processors, buffer };
}

/** A context's spans, named `<context> <name>`: children of the active span, or of the `traceparent` kept for later. */
function contextTracingIn({ tracer, active, run }: SpanScope, context: string): ContextTracing {
  return {
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
  };
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
  const { processors, buffer } = await spanProcessors(options);
  const provider = new BasicTracerProvider({
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
    resource: resourceFromAttributes({ "service.name": "ecom-simulator" }).merge(
      detectResources({ detectors: [envDetector] }),
    ),
    spanProcessors: processors,
  });
  const scope = createSpanScope(provider.getTracer(SCOPE));

  return {
    enabled: true,
    contextTracing: (context) => contextTracingIn(scope, context),
    rpcClientInterceptors: [rpcClientInterceptor(scope)],
    rpcServerInterceptors: [rpcServerInterceptor(scope)],
    rpcEdgeInterceptors: [rpcServerInterceptor(scope, trustsCaller)],
    rest: tracedRest(scope, routeOf, trustsCaller),
    published: (producer, eventType, eventId, correlationId) =>
      publishedSpan(scope, producer, eventType, eventId, correlationId),
    relayed: (events) => relayedSpans(scope, events),
    subscriber: (context, handlers) => tracedSubscriber(scope, context, handlers),
    buffer,
    flush: () => provider.forceFlush(),
    // An endpoint that does not answer loses the last spans; it must not stop the platform from closing.
    close: () =>
      provider
        .shutdown()
        .catch((error: unknown) => log.warn("the last spans were not exported", { error: String(error) })),
  };
}
