import type { SpanExporter } from "@opentelemetry/sdk-trace-base";

/** What `OTEL_EXPORTER_OTLP_PROTOCOL` may say here; the SDK's OTLP packages read the endpoint, headers and timeout. */
const PROTOCOLS = ["http/protobuf", "http/json"] as const;

/** Thrown at start when the OTLP settings ask for what the simulator cannot do; the message says what to set. */
export class TracingConfigError extends Error {
  override name = "TracingConfigError";
}

/**
 * The OTLP span exporter `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` (or `OTEL_EXPORTER_OTLP_PROTOCOL`) asks for:
 * `http/protobuf` (the specification's default) or `http/json`. Only the chosen package is loaded.
 */
export async function createOtlpExporter(env: Readonly<Record<string, string | undefined>>): Promise<SpanExporter> {
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
    env.OTEL_EXPORTER_OTLP_PROTOCOL ||
    "http/protobuf"
  ).trim();
  if (protocol === "http/json") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
    return new OTLPTraceExporter();
  }
  if (protocol === "http/protobuf") {
    const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-proto");
    return new OTLPTraceExporter();
  }
  throw new TracingConfigError(
    `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; set it to ${PROTOCOLS.join(" or ")} (a collector or Jaeger takes both on port 4318)`,
  );
}
