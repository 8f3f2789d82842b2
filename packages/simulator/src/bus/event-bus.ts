import type { Logger, MessageHandler } from "@ecom/services/platform";
import type { Kysely } from "kysely";
import type { LoggedEvent } from "../event-log.js";
import type { RuntimeTables, SqliteStore } from "../sqlite-store.js";

export type { LoggedEvent } from "../event-log.js";

/** An event as a relay hands it to the bus: the envelope text exactly as the producer's outbox wrote it. */
export interface OutgoingEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly producer: string;
  readonly correlationId: string;
  /**
   * The envelope's partitionKey (its aggregate), which the bus keeps one partition's events in publishing order by;
   * read from the envelope when not given.
   */
  readonly partitionKey?: string;
  readonly envelope: string;
  /**
   * The envelope as the embedded event log keeps it (packed-envelope.ts), when the producer's outbox kept it so:
   * the log writes these bytes as they are instead of packing the envelope a second time.
   */
  readonly packed?: Buffer;
  /**
   * Read back from the outbox rather than told by its transaction: the bus may hold it already (a crash between the
   * append and the outbox's delete; the last row the embedded relay moved, which the outbox keeps).
   */
  readonly maybeLogged?: boolean;
}

/** What to read of the log. */
export interface ReadOptions {
  /** Events after this sequence number. */
  readonly afterSeq: number;
  /** Only these event types (none: every type). */
  readonly types?: readonly string[];
  readonly correlationId?: string;
  /** At most this many (1000 when not said). */
  readonly limit?: number;
}

/**
 * The log as its readers see it (`/_sim/log`, `/_sim/events`, Server-Sent Events, WebSockets, metrics, tests): every
 * event of every context in one total order that never changes, each once, numbered by `seq`.
 */
export interface EventLogReader {
  /** Events after `afterSeq` in log order, optionally only of some types or of one correlation id; at most `limit`. */
  read(options: ReadOptions): Promise<LoggedEvent[]>;
  /** The sequence number of the newest event, 0 for an empty log. */
  lastSeq(): Promise<number>;
  /**
   * Be told of events as they are logged, in log order, from now on (no history: read it with {@link read}); the
   * returned function stops it. A listener must not throw, and must not block: it runs on the bus's turn.
   */
  watch(onEvents: (events: readonly LoggedEvent[]) => void): () => void;
}

/** An `_outbox` row as the transaction that inserted it knows it: its `seq`, and the event as the bus takes it. */
export interface CommittedOutboxRow {
  readonly seq: number;
  readonly event: OutgoingEvent;
}

/**
 * A context's relay: moves the committed rows of its `_outbox` to the bus, in `seq` order, and never reorders them
 * (a failure stops the pass; the next one starts from the first row not yet on the bus).
 */
export interface Relay {
  /**
   * Whether the outbox keeps each envelope packed as the embedded event log keeps it (packed-envelope.ts), with
   * its correlation id beside it: the embedded relay reads such rows (outbox-relay.ts); the others read JSON text.
   */
  readonly packedOutbox?: boolean;
  /**
   * Told, after a publishing transaction committed and before its {@link Relay.flush}, of the rows it inserted, so
   * the relay may move them without reading them back (the embedded relay; others read their outbox).
   */
  committed?(rows: readonly CommittedOutboxRow[]): void;
  /** Ask for a pass soon (after a publish; the caller's transaction has committed by then). */
  kick(): void;
  /**
   * Move what is committed now to the bus and resolve once it is there: a publishing transaction awaits this in its
   * after-commit hook, so whoever awaited the transaction (an RPC handler about to reply) finds its events on the
   * bus ("publish before reply"). Resolves at once when stopped.
   */
  flush(): Promise<void>;
  /** Move everything now in the outbox to the bus. */
  drain(): Promise<void>;
  /** How many committed rows are not on the bus yet. */
  waiting(): Promise<number>;
  /**
   * The outbox row before which the publishing transaction may delete rows already on the bus (the embedded relay
   * leaves its rows to the next publish, and keeps the last one moved); undefined when there is nothing to delete
   * that way.
   */
  clearable(): number | undefined;
  /** Delete the rows already on the bus now (after the start's settle, and at close). */
  clear(): Promise<void>;
  /** Take no more kicks (closing); a pass under way finishes. */
  stop(): void;
  /** Resolves when no pass is running or pending. */
  idle(): Promise<void>;
}

/** Where a subscriber stands in the log, as `/healthz` and `/metrics` show it. */
export interface SubscriptionPosition {
  /** The log sequence number up to which it has handled events. */
  readonly cursor: number;
  /** Events of its types it has yet to handle, counted up to the limit asked. */
  readonly pending: number;
}

/**
 * One subscribing context's durable, ordered delivery: its handlers run in log order, in a transaction of the
 * subscriber's own store that also records how far it got, so a crash either keeps all of a delivery or none of it
 * and nothing is handled twice. A handler that keeps failing has its event dead-lettered in `_dead_letter`.
 */
export interface Subscription {
  readonly subscriber: string;
  /** The event types delivered. */
  readonly types: readonly string[];
  /** Ask for a pass soon (the embedded bus; a JetStream consumer is pushed its messages). */
  kick(): void;
  /** Take no more deliveries (closing); a delivery under way finishes. */
  stop(): void;
  /** Resolves when no delivery is under way and what has reached the subscriber is handled. */
  idle(): Promise<void>;
  /** Its cursor and the events of its types still to handle, counted up to `limit`. */
  position(limit: number): Promise<SubscriptionPosition>;
}

/** A context's store, as the relay and its subscription use it. */
export interface BusStore {
  /** The store as the SQLite adapter gives it (the embedded bus runs prepared statements on it), when it is one. */
  readonly sqlite?: SqliteStore<RuntimeTables>;
  readonly db: Kysely<RuntimeTables>;
}

/** What a subscription needs. */
export interface SubscribeOptions {
  readonly subscriber: string;
  readonly store: BusStore;
  /** The handlers by event type: projections first, then the context's own reactions (composeSubscriber). */
  readonly handlers: Readonly<Record<string, MessageHandler<never, never>>>;
  readonly logger: Logger;
  /** The (virtual) time a dead letter is stamped with. */
  readonly now: () => Date;
}

/**
 * The platform's event bus: the ordered, durable log every context publishes to (idempotent by eventId) and from
 * which every subscriber is delivered. Two implementations: the embedded one (a SQLite event log in the process,
 * `sim up`'s default) and JetStream (`--bus nats://…`).
 */
export interface EventBus extends EventLogReader {
  /** `embedded` or `jetstream`: what the banner and `/healthz` say runs the log. */
  readonly kind: "embedded" | "jetstream";
  /** Append events in order; one already on the bus (same eventId) is not appended again. */
  publish(events: readonly OutgoingEvent[]): Promise<void>;
  /** The relay of one producing context's outbox. */
  relay(options: {
    readonly producer: string;
    readonly store: BusStore;
    readonly onError: (error: unknown) => void;
  }): Relay;
  /** Subscribe one context (at most one subscription per subscriber). Delivery starts with {@link Subscription.kick}. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Stop watching and delivering, and let go of the connection or file; the subscriptions must be idle. */
  close(): Promise<void>;
}
