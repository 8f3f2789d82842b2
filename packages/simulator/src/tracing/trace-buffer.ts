import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/** A span as `GET /_sim/traces/{traceId}` shows it. */
export interface KeptSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** `server`, `client`, `producer`, `consumer` or `internal`. */
  readonly kind: string;
  /** When it started, in real (wall-clock) time. */
  readonly startedAt: string;
  /** The same, in milliseconds since the epoch with fractions (spans of one millisecond are told apart). */
  readonly startMs: number;
  readonly durationMs: number;
  readonly status: "ok" | "error";
  readonly error?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The spans the platform keeps in memory for its own waterfall, so no collector is needed to look at a trace. */
export interface TraceBuffer extends SpanProcessor {
  /** The kept spans of one trace, by start time; empty when none are kept (unknown, or pushed out by newer ones). */
  spansOf(traceId: string): KeptSpan[];
}

const KINDS = ["internal", "server", "client", "producer", "consumer"];

/**
 * Keeps the latest `limit` ended spans (the oldest go first), indexed by trace id: enough for the flows a developer
 * is looking at, bounded however long the simulator runs.
 */
export function createTraceBuffer(limit: number): TraceBuffer {
  const spans: KeptSpan[] = [];
  const byTrace = new Map<string, KeptSpan[]>();
  let first = 0;
  const forget = (span: KeptSpan) => {
    const kept = byTrace.get(span.traceId);
    if (!kept) return;
    kept.splice(kept.indexOf(span), 1);
    if (kept.length === 0) byTrace.delete(span.traceId);
  };
  return {
    onStart() {},
    onEnd(span: ReadableSpan) {
      const context = span.spanContext();
      const startMs = span.startTime[0] * 1000 + span.startTime[1] / 1e6;
      const kept: KeptSpan = {
        traceId: context.traceId,
        spanId: context.spanId,
        ...(span.parentSpanContext ? { parentSpanId: span.parentSpanContext.spanId } : {}),
        name: span.name,
        kind: KINDS[span.kind] ?? "internal",
        startedAt: new Date(startMs).toISOString(),
        startMs,
        durationMs: Math.round((span.duration[0] * 1e3 + span.duration[1] / 1e6) * 1000) / 1000,
        status: span.status.code === 2 ? "error" : "ok",
        ...(span.status.message ? { error: span.status.message } : {}),
        attributes: { ...span.attributes },
      };
      spans.push(kept);
      const trace = byTrace.get(kept.traceId);
      if (trace) trace.push(kept);
      else byTrace.set(kept.traceId, [kept]);
      if (spans.length - first > limit) forget(spans[first++]!);
      // Compact now and then rather than shifting the array on every span.
      if (first > limit) {
        spans.splice(0, first);
        first = 0;
      }
    },
    async forceFlush() {},
    async shutdown() {},
    spansOf(traceId) {
      return [...(byTrace.get(traceId) ?? [])].sort((a, b) => a.startMs - b.startMs);
    },
  };
}
