import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createTraceBuffer } from "./trace-buffer.js";

function tracerKeeping(limit: number) {
  const buffer = createTraceBuffer(limit);
  const tracer = new BasicTracerProvider({ spanProcessors: [buffer] }).getTracer("test");
  return { buffer, tracer };
}

describe("the trace buffer", () => {
  it("keeps a trace's ended spans with their parent, kind and status", () => {
    const { buffer, tracer } = tracerKeeping(10);
    const root = tracer.startSpan("root");
    const traceId = root.spanContext().traceId;
    const child = tracer.startSpan("child", { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, root));
    child.setStatus({ code: SpanStatusCode.ERROR, message: "it broke" });
    child.end();
    root.end();
    const spans = buffer.spansOf(traceId);
    // Both start within the clock's resolution: which sorts first is not the point here.
    expect(spans.map((span) => span.name).sort()).toEqual(["child", "root"]);
    expect(spans.find((span) => span.name === "child")).toMatchObject({
      parentSpanId: root.spanContext().spanId,
      kind: "client",
      status: "error",
      error: "it broke",
    });
  });

  it("forgets the oldest spans past its limit, however many traces it has seen", () => {
    const { buffer, tracer } = tracerKeeping(3);
    const traces = Array.from({ length: 50 }, (_, index) => {
      const span = tracer.startSpan(`span ${index}`);
      span.end();
      return span.spanContext().traceId;
    });
    expect(traces.slice(0, 47).flatMap((traceId) => buffer.spansOf(traceId))).toEqual([]);
    expect(traces.slice(47).map((traceId) => buffer.spansOf(traceId)[0]?.name)).toEqual([
      "span 47",
      "span 48",
      "span 49",
    ]);
  });
});
