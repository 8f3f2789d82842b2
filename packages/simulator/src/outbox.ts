import { type MessagePayloads, type MessageType, messageRegistry, validatePayload } from "@ecom/sdk";
import type { Clock, Ids, Outbox, PublishOptions } from "@ecom/services/platform";
import type { Transaction } from "kysely";
import type { RuntimeTables, SqliteStore } from "./sqlite-store.js";
import type { EnvelopeTrace } from "./tracing/platform-tracing.js";

/** Thrown when a context publishes an event that breaks its contract: a bug in the context, never a user error. */
export class ContractViolationError extends Error {
  override name = "ContractViolationError";
}

/**
 * A context's transactional outbox: builds the envelope, validates the payload against the generated validator,
 * and inserts it into the context's `_outbox` in the caller's transaction. `onPublish` is told after the insert so
 * the relay runs as soon as the transaction has committed (it queues behind it on the store's connection).
 */
export function createOutbox<TDatabase>(options: {
  readonly producer: string;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly random: () => number;
  readonly onPublish: () => void;
  /** The trace context of the append (tracing/platform-tracing.ts), when tracing is on. */
  readonly traced?:
    | ((producer: string, type: string, eventId: string, correlationId: string) => EnvelopeTrace)
    | undefined;
  /** The context's store, whose `_outbox` the events go to. */
  readonly store: SqliteStore<RuntimeTables>;
  /** The rows the relay has moved to the log, to delete in this transaction (see OutboxRelay.clearable). */
  readonly clearable: () => number | undefined;
}): Outbox<TDatabase> {
  // Prepared once, without the query builder: they run for every event. The caller's transaction holds the
  // connection, so they are part of it.
  const { db } = options.store;
  const insert = options.store.prepare(
    db.insertInto("_outbox").values({ event_id: "event_id", envelope: "envelope" }),
    ["event_id", "envelope"],
  );
  const clear = options.store.prepare(db.deleteFrom("_outbox").where("seq", "<=", 0), [0]);
  const traceId = () => {
    let hex = "";
    for (let index = 0; index < 32; index++) hex += Math.floor(options.random() * 16).toString(16);
    return hex;
  };
  return {
    async publish<TType extends MessageType>(
      // The caller's transaction: only held here (the insert runs on its connection), never used.
      _trx: Transaction<TDatabase>,
      type: TType,
      payload: MessagePayloads[TType],
      publish: PublishOptions,
    ) {
      const entry = messageRegistry[type];
      if (!entry) throw new ContractViolationError(`${options.producer} published ${type}, which no contract defines`);
      if (entry.kind === "event" && entry.producer !== options.producer) {
        throw new ContractViolationError(
          `${options.producer} published ${type}, which contracts/contexts.yaml gives to ${entry.producer}`,
        );
      }
      const issues = validatePayload(type, payload);
      if (issues.length > 0) {
        const first = issues[0]!;
        throw new ContractViolationError(
          `${options.producer} published an invalid ${type} (${entry.contract}): ${first.pointer || "/"} ${first.message}`,
        );
      }
      const eventId = options.ids.next("evt");
      const traced = options.traced?.(options.producer, type, eventId, publish.correlationId);
      const envelope = {
        eventId,
        eventType: type,
        occurredAt: options.clock.now().toISOString(),
        producer: options.producer,
        traceId: traced?.traceId ?? traceId(),
        ...(traced ? { spanId: traced.spanId } : {}),
        correlationId: publish.correlationId,
        ...(publish.causationId === undefined ? {} : { causationId: publish.causationId }),
        schemaVersion: entry.schemaVersion,
        partitionKey: publish.partitionKey,
        payload,
      };
      const relayed = options.clearable();
      if (relayed !== undefined) clear.run(relayed);
      insert.run(eventId, JSON.stringify(envelope));
      options.onPublish();
      return eventId;
    },
  };
}
