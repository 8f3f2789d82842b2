/**
 * Messages that reach a context from outside the platform's bus: a device feed over MQTT, say. The transport (a
 * broker client) belongs to whatever runs the context, like the HTTP port; the context only turns what arrived into
 * its own commands or records why it refused it, so no transport library enters a context's folder.
 */

/** One message as the transport received it. */
export interface FeedMessage {
  /** The topic it arrived on, e.g. `iot/inventory/9780131103627/delta`. */
  readonly topic: string;
  /** The values of the channel's `{parameters}` taken from the topic, e.g. `{ sku: "9780131103627" }`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** The payload's bytes as text (UTF-8). */
  readonly payload: string;
}

/** What became of one message: accepted (turned into a command on the bus) or dead-lettered with a reason. */
export type FeedOutcome = { readonly kind: "accepted" } | { readonly kind: "dead-lettered"; readonly reason: string };

/**
 * Takes a batch of messages of one channel, in arrival order, and answers one outcome per message, in the same order.
 * Resolves only once every outcome is durable (the commands in the context's outbox, the dead letters in its store),
 * so the transport may acknowledge them then; it rejects when nothing of the batch could be recorded.
 */
export type FeedHandler = (batch: readonly FeedMessage[]) => Promise<readonly FeedOutcome[]>;
