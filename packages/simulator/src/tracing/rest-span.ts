import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { PlatformTracing, TracedRoute, TrustsCaller } from "./platform-tracing.js";
import type { SpanScope } from "./span-scope.js";
import { edgeParent, fromTraceparent } from "./trace-context.js";

/**
 * Serve each REST request in a SERVER span named for its contract route, the child of a trusted caller's
 * `traceparent` (else linked to it); a 5xx answer marks the span failed.
 */
export function tracedRest(
  { tracer, active, run }: SpanScope,
  routeOf: (method: string, pathname: string) => TracedRoute | undefined,
  trustsCaller: TrustsCaller,
): PlatformTracing["rest"] {
  return async (request, serve) => {
    const pathname = request.url.split(/[?#]/, 1)[0] ?? "/";
    const route = routeOf(request.method, pathname);
    const incoming = fromTraceparent(request.headers.traceparent);
    const { parent, links } = incoming
      ? edgeParent(incoming, request.headers.authorization, trustsCaller)
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
  };
}
