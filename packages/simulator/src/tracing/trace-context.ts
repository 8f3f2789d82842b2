import {
  type Context,
  defaultTextMapGetter,
  type Link,
  ROOT_CONTEXT,
  type TextMapGetter,
  type TextMapSetter,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import type { TrustsCaller } from "./platform-tracing.js";

export const propagator = new W3CTraceContextPropagator();

/** Connect's (fetch) Headers as a carrier of `traceparent`. */
export const headerSetter: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };
export const headerGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The envelope fields a subscriber's span reads. */
export interface TracedEnvelope {
  readonly eventId: string;
  readonly eventType: string;
  readonly correlationId: string;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** The context a `traceparent` names, or undefined when it names none (absent, malformed). */
export function fromTraceparent(traceparent: string | null | undefined): Context | undefined {
  if (!traceparent) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
  return trace.getSpanContext(context) ? context : undefined;
}

/** The context of the outbox append an envelope names. */
export function fromEnvelope(envelope: { readonly traceId?: string; readonly spanId?: string }): Context {
  return envelope.traceId && envelope.spanId
    ? trace.setSpanContext(ROOT_CONTEXT, {
        traceId: envelope.traceId,
        spanId: envelope.spanId,
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      })
    : ROOT_CONTEXT;
}

/** The `traceparent` of `context`'s span. */
export function traceparentOf(context: Context): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, { set: (target, key, value) => (target[key] = value) });
  return carrier.traceparent;
}

/**
 * The parent of a request's span at the public edge. A caller's trace id goes into event envelopes and out to
 * partners in webhooks' `traceparent`, so only a trusted caller (`trustsCaller`) chooses it; anyone else's request
 * starts a trace of its own, linked to the one it named.
 */
export function edgeParent(
  incoming: Context,
  authorization: string | undefined,
  trustsCaller: TrustsCaller,
): { readonly parent: Context; readonly links?: Link[] } {
  const named = trace.getSpanContext(incoming);
  if (!named || trustsCaller(authorization)) return { parent: incoming };
  return { parent: ROOT_CONTEXT, links: [{ context: named }] };
}
