import type { Logger } from "@ecom/services/platform";
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { EventBus, EventLogReader, LoggedEvent, OutgoingEvent, ReadOptions } from "./event-bus.js";
import { isSubjectSafe, type JetStreamNames, jetStreamNames } from "./jetstream-names.js";
import { JetStreamRelay, publishEvent } from "./jetstream-relay.js";
import { JetStreamSubscription, loggedEvent } from "./jetstream-subscription.js";

/** How long the stream remembers a message id: a relay that publishes a row again within it adds nothing. */
const DUPLICATE_WINDOW_MS = 24 * 3_600_000;
const NANOS_PER_MS = 1_000_000;

/** How to reach JetStream. */
export interface JetStreamBusOptions {
  /** `nats://host:port`. */
  readonly url: string;
  /** The namespace everything is named from (jetstream-names.ts). */
  readonly namespace: string;
  readonly logger: Logger;
  /** The server's ack wait for subscriptions (30 s; tests shorten it). */
  readonly ackWaitMs?: number;
  /** How such a pause is waited (a timer; tests record the pauses instead). */
  readonly pause?: (milliseconds: number) => Promise<void>;
  /** How the connection calls itself on the server (`nats server report connections`). */
  readonly connectionName?: string;
}

/** The JetStream bus, with what tests and tools reach below the port. */
export interface JetStreamBus extends EventBus {
  readonly kind: "jetstream";
  readonly names: JetStreamNames;
  readonly manager: JetStreamManager;
  readonly connection: NatsConnection;
}

/**
 * The bus on NATS JetStream (docs/design/scale-out.md section 5): the log is the stream `ECOM_<NS>_EVENTS` (file
 * storage, limits retention, no age limit, direct get on, a 24 h duplicate window), an event's subject is
 * `ecom.<ns>.evt.<eventType>.<partition>` and its data the envelope text as the outbox wrote it, published with the
 * eventId as message id. The stream sequence is the log's `seq`. Made (or found) on connect.
 */
export async function connectJetStreamBus(options: JetStreamBusOptions): Promise<JetStreamBus> {
  const names = jetStreamNames(options.namespace);
  const connection = await connect({
    servers: options.url,
    name: options.connectionName ?? `ecom-${options.namespace}-${process.pid}`,
    maxReconnectAttempts: -1,
  });
  try {
    const manager = await jetstreamManager(connection);
    const client = jetstream(connection);
    await ensureStream(manager, names);
    return createBus(options, names, connection, manager, client);
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
}

async function ensureStream(manager: JetStreamManager, names: JetStreamNames): Promise<void> {
  const config = {
    name: names.stream,
    subjects: [names.allEvents],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    allow_direct: true,
    duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
  };
  const existing = await manager.streams.info(names.stream).catch(() => undefined);
  if (!existing) await manager.streams.add(config);
}

async function createBus(
  options: JetStreamBusOptions,
  names: JetStreamNames,
  connection: NatsConnection,
  manager: JetStreamManager,
  client: JetStreamClient,
): Promise<JetStreamBus> {
  const lastSeq = async () => (await manager.streams.info(names.stream)).state.last_seq;
  const publishOne = (event: OutgoingEvent) => publishEvent({ client, manager, names }, event);

  // Watchers (metrics, SSE and WebSocket wake-ups, the crash fault) follow the stream from here on, whichever
  // process published: one ordered consumer for all of them.
  const watchers = new Set<(events: readonly LoggedEvent[]) => void>();
  const following = await client.consumers.get(names.stream, {
    filter_subjects: names.allEvents,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: (await lastSeq()) + 1,
  });
  const followed = await following.consume();
  void (async () => {
    for await (const message of followed) {
      if (watchers.size === 0) continue;
      const events = [loggedEvent(message)];
      for (const watcher of watchers) {
        try {
          watcher(events);
        } catch (error) {
          options.logger.error("an event watcher failed", { error: String(error) });
        }
      }
    }
  })().catch((error) => options.logger.error("following the event stream stopped", { error: String(error) }));

  const subscriptions: JetStreamSubscription[] = [];
  const reader: EventLogReader = {
    read: (readOptions) => readStream(client, manager, names, readOptions),
    lastSeq,
    watch(onEvents) {
      watchers.add(onEvents);
      return () => {
        watchers.delete(onEvents);
      };
    },
  };
  return {
    kind: "jetstream",
    names,
    manager,
    connection,
    ...reader,
    async publish(events) {
      for (const event of events) await publishOne(event);
    },
    relay: ({ store, onError }) => new JetStreamRelay(store, publishOne, onError),
    async subscribe(subscribe) {
      const subscription = new JetStreamSubscription({
        ...subscribe,
        names,
        manager,
        client,
        lastSeq,
        ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
        ...(options.pause === undefined ? {} : { pause: options.pause }),
      });
      await subscription.prepare();
      subscriptions.push(subscription);
      return subscription;
    },
    async close() {
      for (const subscription of subscriptions) subscription.stop();
      followed.stop();
      watchers.clear();
      await connection.drain().catch(() => connection.close());
    },
  };
}

/**
 * Read the stream after `afterSeq`. One type is filtered by the server (its subjects) and read by direct get
 * (`next_by_subj`, one request per wanted event). Several types, or a correlation id, are filtered here, which reads
 * past every other event on the way (JetStream has no index by correlation id): those stream through an ordered
 * consumer, which the server pushes in batches, rather than a request per message. A repeat the stream stored past
 * its duplicate window (same eventId, later seq) is left out.
 */
async function readStream(
  client: JetStreamClient,
  manager: JetStreamManager,
  names: JetStreamNames,
  options: ReadOptions,
): Promise<LoggedEvent[]> {
  const { types, correlationId } = options;
  if (types?.length === 0) return [];
  const last = (await manager.streams.info(names.stream)).state.last_seq;
  if (options.afterSeq >= last) return [];
  const wanted = types ? new Set(types) : undefined;
  const keep = (event: LoggedEvent) =>
    (wanted === undefined || wanted.has(event.eventType)) &&
    (correlationId === undefined || event.correlationId === correlationId);
  // A type that is not subject-safe (from a query string) is filtered here, never put in the server's filter.
  const serverFiltered = types?.length === 1 && isSubjectSafe(types[0]!);
  const range = { ...options, last, limit: options.limit ?? 1000, keep };
  return serverFiltered && correlationId === undefined
    ? readByDirectGet(manager, names.stream, names.eventsOf(types[0]!), range)
    : readByOrderedConsumer(
        client,
        manager,
        names.stream,
        serverFiltered ? names.eventsOf(types[0]!) : names.allEvents,
        range,
      );
}

interface ReadRange {
  readonly afterSeq: number;
  readonly last: number;
  readonly limit: number;
  readonly keep: (event: LoggedEvent) => boolean;
}

async function readByDirectGet(
  manager: JetStreamManager,
  stream: string,
  filter: string,
  range: ReadRange,
): Promise<LoggedEvent[]> {
  const events = new Distinct(range.limit);
  for (let seq = range.afterSeq + 1; seq <= range.last && !events.full; ) {
    const message = await manager.direct.getMessage(stream, { seq, next_by_subj: filter });
    if (!message) break;
    seq = message.seq + 1;
    const event = loggedEvent(message);
    if (range.keep(event)) events.add(event);
  }
  return events.list;
}

async function readByOrderedConsumer(
  client: JetStreamClient,
  manager: JetStreamManager,
  stream: string,
  filter: string,
  range: ReadRange,
): Promise<LoggedEvent[]> {
  // An ordered consumer with nothing of its filter to deliver delivers nothing and never ends: `pending` only stops
  // it after a message, and `last` is the whole stream's. So the filter's first event past `afterSeq` is looked up
  // first (one direct get); none, or none before `last`, is an empty read.
  const first = await manager.direct.getMessage(stream, { seq: range.afterSeq + 1, next_by_subj: filter });
  if (!first || first.seq > range.last) return [];
  const consumer = await client.consumers.get(stream, {
    filter_subjects: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: first.seq,
  });
  const messages = await consumer.consume({ max_messages: 256 });
  const events = new Distinct(range.limit);
  try {
    for await (const message of messages) {
      const event = loggedEvent(message);
      if (range.keep(event)) events.add(event);
      // `pending` counts what of the filter is left after this message: 0 is the end of what there is now.
      if (events.full || message.seq >= range.last || message.info.pending === 0) break;
    }
  } finally {
    messages.stop();
  }
  return events.list;
}

/** Events in log order, each eventId once, up to a limit. */
class Distinct {
  readonly list: LoggedEvent[] = [];
  readonly #seen = new Set<string>();
  constructor(private readonly limit: number) {}
  get full(): boolean {
    return this.list.length >= this.limit;
  }
  add(event: LoggedEvent): void {
    if (this.#seen.has(event.eventId)) return;
    this.#seen.add(event.eventId);
    this.list.push(event);
  }
}
