import { ServiceError } from "@ecom/services/platform";
import type { GatewayRequest, GatewayResponse } from "../gateway/rest-gateway.js";
import { problemResponse } from "../problem.js";
import type { PlatformTracing } from "./platform-tracing.js";

const json = (body: unknown): GatewayResponse => ({
  status: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/**
 * `GET /_sim/traces`: whether the platform traces, how many spans it keeps and the trace UI's URL template (for the
 * console's links); `GET /_sim/traces/{traceId}`: the kept spans of one trace, by start time (`ecom sim up --trace`).
 */
export function createTraceRoutes(tracing: PlatformTracing, settings: { readonly traceUrl?: string | undefined }) {
  return (request: GatewayRequest): GatewayResponse | undefined => {
    if (request.method !== "GET") return undefined;
    const pathname = request.url.split(/[?#]/, 1)[0] ?? "";
    if (pathname === "/_sim/traces")
      return json({
        enabled: tracing.enabled,
        keptSpans: tracing.buffer !== undefined,
        ...(settings.traceUrl ? { traceUrl: settings.traceUrl } : {}),
      });
    const traceId = /^\/_sim\/traces\/([^/]*)$/.exec(pathname)?.[1];
    if (traceId === undefined) return undefined;
    if (!/^[0-9a-f]{32}$/.test(traceId))
      return problemResponse(
        new ServiceError("validation", "A trace id is 32 lower-case hex digits, as an event's traceId."),
        pathname,
        "",
      );
    const spans = tracing.buffer?.spansOf(traceId) ?? [];
    if (spans.length === 0)
      return problemResponse(
        new ServiceError(
          "not_found",
          tracing.buffer
            ? `No spans of trace ${traceId} are kept: it is not one of the latest traces.`
            : "No spans are kept: start the simulator with `ecom sim up --trace`.",
        ),
        pathname,
        "",
      );
    return json({ traceId, spans });
  };
}
