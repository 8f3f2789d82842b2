import { type MessagePayloads, type MessageType, messageRegistry, validatePayload } from "@ecom/sdk";
import {
  type Clock,
  compileQuery,
  type Ids,
  type Outbox,
  type Param,
  type PublishOptions,
} from "@ecom/services/platform";
import type { Transaction } from "kysely";
import type { CommittedOutboxRow } from "./bus/event-bus.js";
import { idHex, keptId } from "./compact-ids.js";
import { packedEnvelope } from "./packed-envelope.js";
import type { RuntimeTables } from "./sqlite-store.js";
import { afterCommit } from "./store/hooked-kysely.js";
import { isEmbeddedStore, type Store } from "./store/store-port.js";
import type { EnvelopeTrace } from "./tracing/platform-tracing.js";

/** Thrown when a context publishes an event that breaks its contract: a bug in the context, never a user error. */
export class ContractViolationError extends Error {
  override name = "ContractViolationError";
}

/**
 * A context's transactional outbox: builds the envelope, validates the payload against the generated validator,
 * and inserts it into the context's `_outbox` in the caller's transaction. `onPublish` runs once per publishing
 * transaction, in an after-commit hook (store/hooked-kysely.ts), and the transaction's `execute()` waits for it: the
 * platform flushes the relay there, so whoever awaited the transaction finds its events in the log.
 */
export function createOutbox<TDatabase>(options: {
  readonly producer: string;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly random: () => number;
  /** Run after a publishing transaction commits (once, however many events it published); awaited by it. */
  readonly onPublish: () => void | Promise<void>;
  /**
   * Told, right before `onPublish`, of the rows the transaction inserted (on SQLite, where the insert gives each its
   * `seq`): the relay moves them without reading them back.
   */
  readonly committed?: ((rows: readonly CommittedOutboxRow[]) => void) | undefined;
  /** The trace context of the append (tracing/platform-tracing.ts), when tracing is on. */
  readonly traced?:
    | ((producer: string, type: string, eventId: string, correlationId: string) => EnvelopeTrace)
    | undefined;
  /** The context's store, whose `_outbox` the events go to. */
  readonly store: Store<RuntimeTables>;
  /** The last row the relay has moved to the log: the rows before it are deleted in this transaction (see OutboxRelay.clearable). */
  readonly clearable: () => number | undefined;
  /**
   * Keep each envelope packed as the embedded event log keeps it, with its correlation id beside it, when the store
   * is SQLite (the relay says so: Relay.packedOutbox); JSON text otherwise.
   */
  readonly packed?: boolean;
}): Outbox<TDatabase> {
  // Compiled once, without the query builder at each event. On SQLite, prepared and run synchronously: the caller's
  // transaction holds the connection, so they are part of it. On a pool (PostgreSQL) the insert runs through the
  // caller's transaction.
  const { store } = options;
  const prepared = isEmbeddedStore(store)
    ? {
        insert: store.prepare(store.db.insertInto("_outbox").values({ event_id: "event_id", envelope: "envelope" }), [
          "event_id",
          "envelope",
        ]),
        insertPacked: store.prepare(
          store.db
            .insertInto("_outbox")
            .values({ event_id: "event_id", correlation_id: "correlation_id", envelope: "envelope" }),
          ["event_id", "correlation_id", "envelope"],
        ),
        clear: store.prepare(store.db.deleteFrom("_outbox").where("seq", "<", 0), [0]),
      }
    : undefined;
  // A packed envelope is about a quarter of its text: the few rows waiting for the relay share a page, where text
  // took a page or two a row, which each publishing transaction allocated and another freed (outbox-migrations.ts).
  const packs = prepared !== undefined && options.packed === true;
  const insert = compileQuery((param: Param<{ eventId: string; envelope: string }>) =>
    store.db.insertInto("_outbox").values({ event_id: param("eventId"), envelope: param("envelope") }),
  );
  /** The rows each open publishing transaction inserted (none known on a pool), with `onPublish` hooked to its commit. */
  const published = new WeakMap<object, CommittedOutboxRow[]>();
  // An event outside a trace gets its own trace id: its id's 128 bits ({@link idHex}), which cost the event log no
  // bytes (it packs the envelope against its id); random bits for an id that is not the platform's own shape.
  const traceId = (eventId: string) => {
    const derived = idHex(eventId);
    if (derived !== undefined) return derived;
    let hex = "";
    for (let index = 0; index < 32; index++) hex += Math.floor(options.random() * 16).toString(16);
    return hex;
  };
  /** The rows `trx` inserted so far; its first publish hooks `committed` and `onPublish` to its commit. */
  const rowsOf = (trx: Transaction<TDatabase>) => {
    let rows = published.get(trx);
    if (!rows) {
      const inserted: CommittedOutboxRow[] = [];
      published.set(trx, inserted);
      afterCommit(trx, () => {
        if (inserted.length > 0) options.committed?.(inserted);
        return options.onPublish();
      });
      rows = inserted;
    }
    return rows;
  };
  return {
    async publish<TType extends MessageType>(
      // The caller's transaction: the insert runs on the connection it holds (or through it, on a pool); its commit
      // runs `onPublish`.
      trx: Transaction<TDatabase>,
      type: TType,
      payload: MessagePayloads[TType],
      publish: PublishOptions,
    ) {
      const entry = contractEntry(options.producer, type, payload);
      const eventId = options.ids.next("evt");
      const traced = options.traced?.(options.producer, type, eventId, publish.correlationId);
      const text = JSON.stringify({
        eventId,
        eventType: type,
        occurredAt: options.clock.now().toISOString(),
        producer: options.producer,
        traceId: traced?.traceId ?? traceId(eventId),
        ...(traced ? { spanId: traced.spanId } : {}),
        correlationId: publish.correlationId,
        ...(publish.causationId === undefined ? {} : { causationId: publish.causationId }),
        schemaVersion: entry.schemaVersion,
        partitionKey: publish.partitionKey,
        payload,
      });
      let seq: number | undefined;
      let packed: Buffer | undefined;
      if (prepared) {
        const relayed = options.clearable();
        if (relayed !== undefined) prepared.clear.run(relayed);
        const { correlationId } = publish;
        if (packs) {
          packed = packedEnvelope({ eventId, producer: options.producer, correlationId, envelope: text });
          seq = prepared.insertPacked.insert(eventId, keptId(correlationId), packed);
        } else {
          seq = prepared.insert.insert(eventId, text);
        }
      } else {
        await insert.execute(trx, { eventId, envelope: text });
      }
      const rows = rowsOf(trx);
      if (seq !== undefined) {
        const { correlationId, partitionKey } = publish;
        const event = {
          eventId,
          eventType: type,
          producer: options.producer,
          correlationId,
          partitionKey,
          envelope: text,
          ...(packed ? { packed } : {}),
        };
        rows.push({ seq, event });
      }
      return eventId;
    },
  };
}

/** The contract entry of `type`, once `producer` may publish it and `payload` is valid for it; else a violation. */
function contractEntry<TType extends MessageType>(producer: string, type: TType, payload: MessagePayloads[TType]) {
  const entry = messageRegistry[type];
  if (!entry) throw new ContractViolationError(`${producer} published ${type}, which no contract defines`);
  if (entry.kind === "event" && entry.producer !== producer) {
    throw new ContractViolationError(
      `${producer} published ${type}, which contracts/contexts.yaml gives to ${entry.producer}`,
    );
  }
  const issues = validatePayload(type, payload);
  if (issues.length > 0) {
    const first = issues[0]!;
    throw new ContractViolationError(
      `${producer} published an invalid ${type} (${entry.contract}): ${first.pointer || "/"} ${first.message}`,
    );
  }
  return entry;
}
