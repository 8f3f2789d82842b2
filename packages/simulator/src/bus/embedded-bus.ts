import type { EventLog, LoggedEvent } from "../event-log.js";
import { OutboxRelay } from "../outbox-relay.js";
import { SubscriptionDispatcher } from "../subscription-dispatcher.js";
import type {
  BusStore,
  EventBus,
  OutgoingEvent,
  ReadOptions,
  Relay,
  SubscribeOptions,
  Subscription,
  SubscriptionPosition,
} from "./event-bus.js";

/** The embedded bus and the log it runs on (kept for what only a SQLite log does: snapshots, checkpoints). */
export interface EmbeddedBus extends EventBus {
  readonly kind: "embedded";
  readonly log: EventLog;
}

/**
 * The bus of `sim up`'s default: the SQLite {@link EventLog} in the process, each context's {@link OutboxRelay}
 * appending to it, and a {@link SubscriptionDispatcher} per subscriber, kicked by every append of one of its types.
 */
export function createEmbeddedBus(log: EventLog): EmbeddedBus {
  const sqliteOf = (store: BusStore, what: string) => {
    if (!store.sqlite) throw new Error(`the embedded event bus runs ${what} on a SQLite store only`);
    return store.sqlite;
  };
  return {
    kind: "embedded",
    log,
    async publish(events: readonly OutgoingEvent[]) {
      await log.append(events);
    },
    read: (options: ReadOptions) => log.read(options),
    lastSeq: () => log.lastSeq(),
    watch(onEvents) {
      const listener = (events: LoggedEvent[]) => onEvents(events);
      log.on("appended", listener);
      return () => {
        log.off("appended", listener);
      };
    },
    relay({ producer, store, onError }): Relay {
      return new OutboxRelay(producer, sqliteOf(store, `${producer}'s relay`), (events) => log.append(events), onError);
    },
    async subscribe(options: SubscribeOptions): Promise<Subscription> {
      const store = sqliteOf(options.store, `${options.subscriber}'s subscription`);
      const dispatcher = new SubscriptionDispatcher(
        options.subscriber,
        store,
        log,
        options.handlers,
        options.logger,
        options.now,
      );
      const types = dispatcher.types;
      const wanted = new Set(types);
      log.on("appended", (events) => {
        if (events.some((event) => wanted.has(event.eventType))) dispatcher.kick();
      });
      return {
        subscriber: options.subscriber,
        types,
        kick: () => dispatcher.kick(),
        stop: () => dispatcher.stop(),
        idle: () => dispatcher.idle(),
        async position(limit: number): Promise<SubscriptionPosition> {
          const row = await options.store.db
            .selectFrom("_cursor")
            .select("seq")
            .where("name", "=", "subscriptions")
            .executeTakeFirst();
          const cursor = row?.seq ?? 0;
          return { cursor, pending: await log.countAfter({ afterSeq: cursor, types, limit }) };
        },
      };
    },
    close: () => log.close(),
  };
}
