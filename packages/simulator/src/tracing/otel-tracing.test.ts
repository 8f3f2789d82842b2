import { ServiceError } from "@ecom/services/platform";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createOtelTracing } from "./otel-tracing.js";

const quiet = { info() {}, warn() {}, error() {} };

async function contextTracing(trustsCaller: (authorization: string | undefined) => boolean = () => true) {
  const exporter = new InMemorySpanExporter();
  const tracing = await createOtelTracing({ exporters: [exporter], otlp: false }, () => undefined, quiet, trustsCaller);
  return { exporter, tracing, order: tracing.contextTracing("order")! };
}

describe("a context's spans", () => {
  it("are children of the active span, named after the context", async () => {
    const { exporter, order } = await contextTracing();
    await order.inSpan("outer", {}, () => order.inSpan("inner", {}, async () => {}));
    const [inner, outer] = exporter.getFinishedSpans();
    expect([outer!.name, inner!.name]).toEqual(["order outer", "order inner"]);
    expect(inner!.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
    expect(inner!.attributes["ecom.context"]).toBe("order");
  });

  it("are children of a kept traceparent, or start a trace of their own when the work was kept untraced", async () => {
    const { exporter, order } = await contextTracing();
    const kept = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await order.inSpan("pass", {}, async () => {
      await order.inSpan("kept", { parent: kept }, async () => {});
      await order.inSpan("untraced", { parent: null }, async () => {});
    });
    const spans = new Map(exporter.getFinishedSpans().map((span) => [span.name, span]));
    expect(spans.get("order kept")!.spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(spans.get("order kept")!.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(spans.get("order untraced")!.parentSpanContext).toBeUndefined();
    expect(spans.get("order untraced")!.spanContext().traceId).not.toBe(spans.get("order pass")!.spanContext().traceId);
  });

  it("mark a failed span with the error's code alone and let the error through", async () => {
    const { exporter, order } = await contextTracing();
    const refused = new ServiceError("not_found", "No card tok_01JH8Z3Q4R5S6T7V8W9X0Y1Z32.");
    await expect(order.inSpan("step", {}, async () => Promise.reject(refused))).rejects.toBe(refused);
    await expect(order.inSpan("step", {}, async () => Promise.reject(new TypeError("down")))).rejects.toThrow("down");
    const [serviceFailure, crash] = exporter.getFinishedSpans();
    expect(serviceFailure!.status).toEqual({ code: 2, message: "not_found" });
    expect(serviceFailure!.attributes["error.type"]).toBe("not_found");
    expect(serviceFailure!.events).toEqual([]);
    expect(crash!.status).toEqual({ code: 2, message: "TypeError" });
  });

  it("say the active span as a traceparent, and nothing outside any span", async () => {
    const { order } = await contextTracing();
    expect(order.traceparent()).toBeUndefined();
    const inside = await order.inSpan("step", {}, async () => order.traceparent());
    expect(inside).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe("a REST request's span at the public edge", () => {
  const callerTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const callerSpan = "00f067aa0ba902b7";
  const served = async (trusted: boolean) => {
    const asked: (string | undefined)[] = [];
    const { exporter, tracing } = await contextTracing((authorization) => {
      asked.push(authorization);
      return trusted;
    });
    const headers = { traceparent: `00-${callerTrace}-${callerSpan}-01`, authorization: "Bearer t" };
    await tracing.rest({ method: "GET", url: "/products", headers, body: "" }, async () => ({
      status: 200,
      headers: {},
      body: "",
    }));
    expect(asked).toEqual(["Bearer t"]);
    return exporter.getFinishedSpans()[0]!;
  };

  it("joins the trace a trusted caller names", async () => {
    const span = await served(true);
    expect(span.spanContext().traceId).toBe(callerTrace);
    expect(span.parentSpanContext?.spanId).toBe(callerSpan);
  });

  it("starts a trace of its own for any other caller, linked to the trace it named", async () => {
    const span = await served(false);
    expect(span.spanContext().traceId).not.toBe(callerTrace);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([[callerTrace, callerSpan]]);
  });
});
