import type { MessageHandler } from "@ecom/services/platform";
import { SpanKind } from "@opentelemetry/api";
import type { LoggedEvent } from "../event-log.js";
import type { EnvelopeTrace } from "./platform-tracing.js";
import type { SpanScope } from "./span-scope.js";
import { fromEnvelope, type TracedEnvelope } from "./trace-context.js";

/**
 * The outbox append of one event, as a PRODUCER span of the active trace that ends at once: its ids go in the
 * envelope, so every subscriber's span is its child.
 */
export function publishedSpan(
  { tracer, active }: SpanScope,
  producer: string,
  eventType: string,
  eventId: string,
  correlationId: string,
): EnvelopeTrace {
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
}

/** Events the relay appended to the log: a span each, the child of its outbox append. */
export function relayedSpans({ tracer }: SpanScope, events: readonly LoggedEvent[]): void {
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
}

/** A subscriber's handlers, each running in a CONSUMER span that is the child of the event's outbox append. */
export function tracedSubscriber(
  { tracer, run }: SpanScope,
  context: string,
  handlers: Record<string, MessageHandler<never, never>>,
): Record<string, MessageHandler<never, never>> {
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
}
