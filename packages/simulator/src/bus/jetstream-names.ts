import { createHash } from "node:crypto";

/**
 * What a platform names on NATS (docs/design/scale-out.md section 9): everything carries its namespace, so two
 * platforms on one NATS never share a stream, a subject or a consumer.
 */
export interface JetStreamNames {
  /** The namespace: `[a-z0-9_]` only. */
  readonly namespace: string;
  /** The stream that is the log: `ECOM_<NS>_EVENTS`. */
  readonly stream: string;
  /** Every event's subject: `ecom.<ns>.evt.>`. */
  readonly allEvents: string;
  /** The subject of one event: `ecom.<ns>.evt.<eventType>.<partition>`. */
  subject(eventType: string, partitionKey: string): string;
  /** The subjects of every event of one type. */
  eventsOf(eventType: string): string;
  /** The durable consumer of one subscribing context: `<ns>_<context>`. */
  consumer(subscriber: string): string;
}

/**
 * Whether an event type can stand in a subject as it is: dot-separated tokens without NATS's wildcards (`*`, `>`) or
 * spaces. Contract types always can; a type from a query string (`/_sim/log?types=`) may not, and must never widen a
 * subject filter.
 */
export function isSubjectSafe(eventType: string): boolean {
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(eventType);
}

/** A partition key as one subject token: itself when it is a safe token (every prefixed id is), else a hash. */
export function partitionToken(partitionKey: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(partitionKey)
    ? partitionKey
    : `h${createHash("sha1").update(partitionKey).digest("hex").slice(0, 16)}`;
}

/** The names of namespace `namespace` (already made safe by {@link namespaceOf}). */
export function jetStreamNames(namespace: string): JetStreamNames {
  if (!/^[a-z0-9_]+$/.test(namespace)) throw new Error(`a NATS namespace is [a-z0-9_] only, not ${namespace}`);
  const prefix = `ecom.${namespace}.evt`;
  return {
    namespace,
    stream: `ECOM_${namespace.toUpperCase()}_EVENTS`,
    allEvents: `${prefix}.>`,
    subject: (eventType, partitionKey) => {
      if (!isSubjectSafe(eventType)) throw new Error(`${JSON.stringify(eventType)} cannot be an event type on NATS`);
      return `${prefix}.${eventType}.${partitionToken(partitionKey)}`;
    },
    eventsOf: (eventType) => `${prefix}.${eventType}.*`,
    consumer: (subscriber) => `${namespace}_${subscriber.replace(/[^A-Za-z0-9_-]/g, "_")}`,
  };
}
