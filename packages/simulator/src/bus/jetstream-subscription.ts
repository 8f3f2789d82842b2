import {
  type CompiledStatement,
  compileQuery,
  type Logger,
  type MessageHandler,
  type Param,
} from "@ecom/services/platform";
import type { Consumer, ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import type { Kysely, Migration, Transaction } from "kysely";
import { migrate, type RuntimeTables } from "../sqlite-store.js";
import { ATTEMPTS, EventRetries, UNAVAILABLE_PAUSES_MS } from "./delivery-retry.js";
import type { BusStore, LoggedEvent, Subscription, SubscriptionPosition } from "./event-bus.js";
import type { JetStreamNames } from "./jetstream-names.js";

const CURSOR = "subscriptions";
/**
 * The pauses before the second and the third attempt at a failing event ({@link ATTEMPTS}, delivery-retry.ts): a
 * failure that passes by itself (a lock timeout) gets time to pass before the event is dead-lettered. Waited in the
 * process, the message kept in progress: a nak with a delay would let the server deliver the events after it first,
 * out of their aggregate's order.
 */
export const RETRY_PAUSES_MS: readonly number[] = [250, 1_000];
/** Messages delivered in one transaction at most. */
const BATCH = 100;
/** How long a subscription that failed waits before it starts again from its cursor. */
const RESTART_PAUSE_MS = 1_000;

/**
 * The subscriber's inbox: the eventIds it has handled. The cursor already says what it has handled of the stream's
 * order; the inbox is for a repeat the stream stores as a new message — a relay that publishes a row again after
 * the stream's duplicate window (a store restored from a backup, a relay down longer than the window) — which comes
 * after the cursor and would otherwise be handled twice.
 */
export const busMigrations: Readonly<Record<string, Migration>> = {
  "0001_inbox": {
    async up(db) {
      await db.schema
        .createTable("_inbox")
        .ifNotExists()
        .addColumn("event_id", "text", (column) => column.primaryKey())
        .addColumn("seq", "integer", (column) => column.notNull())
        .execute();
    },
  },
};

type BusTables = RuntimeTables & { _inbox: { event_id: string; seq: number } };

/** What a JetStream subscription needs. */
export interface JetStreamSubscriptionOptions {
  readonly subscriber: string;
  readonly store: BusStore;
  readonly handlers: Readonly<Record<string, MessageHandler<never, never>>>;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly names: JetStreamNames;
  readonly manager: JetStreamManager;
  readonly client: JetStreamClient;
  /** The stream's last sequence number (what "caught up" is measured against). */
  readonly lastSeq: () => Promise<number>;
  /** How long the server waits for an ack before delivering again (30 s; tests shorten it). */
  readonly ackWaitMs?: number;
  /** Deliveries of one message the server makes at most (a safety net above {@link ATTEMPTS}). */
  readonly maxDeliver?: number;
  /** The pauses between attempts at a failing event ({@link RETRY_PAUSES_MS}); the last one repeats if short. */
  readonly retryPausesMs?: readonly number[];
  /** The pauses while a handler fails with `unavailable` ({@link UNAVAILABLE_PAUSES_MS}); the last one repeats. */
  readonly unavailablePausesMs?: readonly number[];
  /** How a pause is waited: a timer (tests record the pauses instead of waiting them out). */
  readonly pause?: (milliseconds: number) => Promise<void>;
}

/**
 * One subscribing context's durable pull consumer (`<ns>_<context>`, explicit ack) on every event of the stream
 * (server 2.9 takes one filter per consumer: types the context does not handle are acked without a transaction).
 * Messages arrive through `consume()`; what has arrived is delivered together: the handlers, the inbox rows and the
 * cursor (the last stream sequence handled) in ONE transaction of the subscriber's store, then each message is
 * acked. A crash before the commit leaves nothing of it; a crash after the commit and before the acks gets the
 * messages again, and the cursor (or the inbox, for a repeat past the duplicate window) makes them change nothing.
 *
 * On start the durable is made anew at `min(ack floor, cursor) + 1`: what a dead process had pulled and not acked
 * comes again first and in order (a plain reconnect would have the server deliver newer messages first and the
 * unacked ones only after the ack wait, reordering an aggregate's events). A handler that fails in a batch has the
 * batch delivered one event at a time, by the embedded dispatcher's rule (delivery-retry.ts): one that fails
 * {@link ATTEMPTS} times, with a pause before each attempt again ({@link RETRY_PAUSES_MS}), has its event
 * dead-lettered in `_dead_letter` and acked; a failure with `unavailable` (a context the handler calls is restarting)
 * counts toward no dead letter and is tried again after a capped backoff until it goes through, the batch's messages
 * kept in progress meanwhile. Two processes must never run one subscriber at once (the registry's claim sees to it).
 */
export class JetStreamSubscription implements Subscription {
  readonly subscriber: string;
  readonly types: readonly string[];
  readonly #options: JetStreamSubscriptionOptions;
  readonly #db: Kysely<BusTables>;
  /** The last stream sequence handled or skipped; persisted with every delivery that handles an event. */
  #cursor: number | undefined;
  #starting: Promise<void> | undefined;
  #messages: ConsumerMessages | undefined;
  #stopped = false;
  readonly #queue: JsMsg[] = [];
  #working: Promise<void> | undefined;
  /** Compiled once (compiled-query.ts): every event delivered runs the first, every delivery the second. */
  readonly #remember: CompiledStatement<{ eventId: string; seq: number }, unknown>;
  readonly #advance: CompiledStatement<{ seq: number }, unknown>;
  /** Callers of {@link idle} waiting, each with its check; asked again as each delivery ends. */
  readonly #idleWaiters = new Set<{ readonly check: () => boolean; readonly resolve: () => void }>();

  constructor(options: JetStreamSubscriptionOptions) {
    this.#options = options;
    this.subscriber = options.subscriber;
    this.types = Object.keys(options.handlers);
    const db = options.store.db as unknown as Kysely<BusTables>;
    this.#db = db;
    this.#remember = compileQuery((param: Param<{ eventId: string; seq: number }>) =>
      db
        .insertInto("_inbox")
        .values({ event_id: param("eventId"), seq: param("seq") })
        .onConflict((conflict) => conflict.column("event_id").doNothing()),
    );
    // Forward only: a late writer (a process that lost its claim) cannot undo a move.
    this.#advance = compileQuery((param: Param<{ seq: number }>) =>
      db
        .insertInto("_cursor")
        .values({ name: CURSOR, seq: param("seq") })
        .onConflict((conflict) =>
          conflict
            .column("name")
            .doUpdateSet({ seq: param("seq") })
            .where("_cursor.seq", "<", param("seq")),
        ),
    );
  }

  /**
   * Migrate the inbox (the store's runtime tables are there already), and refuse a cursor past the stream's end: the
   * stream was deleted and made again (or `--bus` names another NATS), and its new events, numbered from 1 again,
   * would all be skipped as handled while `/healthz` said caught up.
   */
  async prepare(): Promise<void> {
    await migrate(this.#db as Kysely<unknown>, busMigrations, {
      label: `${this.subscriber} (bus tables)`,
      table: "_migrations_bus",
    });
    const [cursor, lastSeq] = await Promise.all([this.readCursor(), this.#options.lastSeq()]);
    if (cursor > lastSeq) {
      const { names } = this.#options;
      throw new Error(
        `the stream ${names.stream} is behind what ${this.subscriber} has seen: it ends at event #${lastSeq}, but ` +
          `${this.subscriber} (consumer ${names.consumer(this.subscriber)}) handled events up to #${cursor} ` +
          "(the stream deleted and made again, or --bus names another NATS?); delivering from it would skip every " +
          `event up to #${cursor}. Put back the stream, or start over with a new database`,
      );
    }
  }

  /** Start consuming, the first time; later kicks change nothing (the server pushes what comes). */
  kick(): void {
    if (this.#stopped) return;
    this.#starting ??= this.start().catch((error) => {
      this.#starting = undefined;
      this.settleIdle();
      this.#options.logger.error(`delivery to ${this.subscriber} could not start`, { error: String(error) });
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#messages?.stop();
    this.settleIdle();
  }

  /** Let go of the consumer and what it pushed, and start again from the cursor after a pause. */
  private restart(): void {
    this.#messages?.stop();
    this.#messages = undefined;
    this.#queue.length = 0;
    this.#cursor = undefined;
    this.#starting = undefined;
    setTimeout(() => this.kick(), RESTART_PAUSE_MS).unref();
  }

  /**
   * Resolves once no delivery is under way and the cursor reached what the stream held when asked (messages are
   * pushed by the server, so "caught up" is measured against the stream's end), or once delivery stopped or waits to
   * restart after a failure, and the delivery under way (if any) finished. Woken as each delivery ends, never by
   * polling: it takes as long as the delivery does, however busy the machine.
   */
  async idle(): Promise<void> {
    if (!this.#starting) return;
    await this.#starting;
    const target = await this.#options.lastSeq();
    const check = () =>
      this.#working === undefined &&
      (this.#stopped || this.#starting === undefined || (this.#queue.length === 0 && (this.#cursor ?? 0) >= target));
    if (check()) return;
    await new Promise<void>((resolve) => this.#idleWaiters.add({ check, resolve }));
  }

  private settleIdle(): void {
    for (const waiter of this.#idleWaiters)
      if (waiter.check()) {
        this.#idleWaiters.delete(waiter);
        waiter.resolve();
      }
  }

  async position(limit: number): Promise<SubscriptionPosition> {
    const cursor = this.#cursor ?? (await this.readCursor());
    return { cursor, pending: Math.min(limit, Math.max(0, (await this.#options.lastSeq()) - cursor)) };
  }

  private async readCursor(): Promise<number> {
    const row = await this.#db.selectFrom("_cursor").select("seq").where("name", "=", CURSOR).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** Make the durable anew at min(ack floor, cursor) + 1 and consume it. */
  private async start(): Promise<void> {
    const { manager, client, names } = this.#options;
    const durable = names.consumer(this.subscriber);
    const cursor = await this.readCursor();
    let from = cursor;
    const existing = await manager.consumers.info(names.stream, durable).catch(() => undefined);
    if (existing) {
      from = Math.min(from, existing.ack_floor.stream_seq);
      await manager.consumers.delete(names.stream, durable);
    }
    this.#cursor = cursor;
    await manager.consumers.add(names.stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from + 1,
      filter_subject: names.allEvents,
      ack_wait: (this.#options.ackWaitMs ?? 30_000) * 1_000_000,
      max_ack_pending: 256,
      max_deliver: this.#options.maxDeliver ?? 10,
    });
    if (this.#stopped) return;
    const consumer: Consumer = await client.consumers.get(names.stream, durable);
    const messages = await consumer.consume({ max_messages: BATCH * 2 });
    this.#messages = messages;
    void (async () => {
      for await (const message of messages) {
        // A restart let go of this consumer: what it still pushes comes again from the new one.
        if (this.#stopped || this.#messages !== messages) break;
        this.#queue.push(message);
        this.#working ??= this.work().finally(() => {
          this.#working = undefined;
          this.settleIdle();
        });
      }
    })().catch((error) =>
      this.#options.logger.error(`delivery to ${this.subscriber} stopped`, { error: String(error) }),
    );
  }

  /** Deliver what has arrived, a batch at a time, until the queue is empty. */
  private async work(): Promise<void> {
    // One turn for what the server pushed together to arrive, so it is delivered in one transaction.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0 && !this.#stopped) {
      const batch = this.#queue.splice(0, BATCH);
      try {
        await this.deliverBatch(batch);
      } catch (error) {
        // Stopped meanwhile: nothing to restart, and what was not acked comes again to the next start.
        if (this.#stopped) return;
        // Not acked. Delivery starts again from the cursor in a moment, so they come again first and in order.
        this.#options.logger.error(`delivery to ${this.subscriber} failed; restarting it`, { error: String(error) });
        this.restart();
        return;
      }
    }
  }

  private async deliverBatch(batch: readonly JsMsg[]): Promise<void> {
    const cursor = this.#cursor ?? 0;
    const fresh = batch.filter((message) => message.seq > cursor);
    const handled = fresh.filter((message) => Object.hasOwn(this.#options.handlers, typeOf(message)));
    const last = fresh.at(-1)?.seq;
    if (handled.length > 0 && last !== undefined) {
      if (handled.length === 1 || !(await this.deliverTogether(handled, last))) {
        for (const message of handled) await this.deliverOne(message, batch);
        await this.#db.transaction().execute((trx) => this.advance(trx, last));
      }
    }
    if (last !== undefined) this.#cursor = last;
    // A subscription stopped meanwhile (its process is closing) acks nothing more: what it committed comes again to
    // the next start, which the cursor skips.
    if (this.#stopped) return;
    // Confirmed acks, so that once a delivery is done the server's ack floor has passed it (a lost ack only means
    // the message comes again, which the cursor skips).
    await Promise.all(batch.map((message) => message.ackAck().catch(() => false)));
  }

  /** Run the handlers of `messages` in one transaction that moves the cursor to `last`; false when one failed. */
  private async deliverTogether(messages: readonly JsMsg[], last: number): Promise<boolean> {
    try {
      await this.#db.transaction().execute(async (trx) => {
        for (const message of messages) await this.handle(trx, message);
        await this.advance(trx, last);
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Deliver `message` alone, as often as it takes (delivery-retry.ts: dead-lettered after {@link ATTEMPTS} failures,
   * `unavailable` retried until it goes through); `batch` is what it came with, kept in progress while it waits.
   */
  private async deliverOne(message: JsMsg, batch: readonly JsMsg[]): Promise<void> {
    const retries = new EventRetries(
      this.#options.retryPausesMs ?? RETRY_PAUSES_MS,
      this.#options.unavailablePausesMs ?? UNAVAILABLE_PAUSES_MS,
    );
    for (;;) {
      await this.pause(retries.nextPauseMs(), batch);
      try {
        await this.#db.transaction().execute(async (trx) => {
          await this.handle(trx, message);
          await this.advance(trx, message.seq);
        });
        return;
      } catch (error) {
        if (!retries.failed(error)) break;
        if (retries.beganWaiting)
          this.#options.logger.warn(
            `${this.subscriber}: a context it calls is unavailable; retrying until it is back`,
            {
              error: String(error),
            },
          );
      }
    }
    const lastError = retries.lastError;
    const event = loggedEvent(message);
    this.#options.logger.error(
      `${this.subscriber} failed to handle ${event.eventType} ${event.eventId} ${ATTEMPTS} times; dead-lettered`,
      { error: String(lastError) },
    );
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto("_dead_letter")
        .values({
          event_id: event.eventId,
          event_type: event.eventType,
          error: String(lastError),
          failed_at: this.#options.now().toISOString(),
        })
        .onConflict((conflict) => conflict.column("event_id").doNothing())
        .execute();
      await this.remember(trx, event);
      await this.advance(trx, message.seq);
    });
  }

  /**
   * Wait `milliseconds`, telling the server the batch's messages and those queued behind them are still being worked
   * on, before and after, so none passes its ack wait and comes again.
   */
  private async pause(milliseconds: number, batch: readonly JsMsg[]): Promise<void> {
    if (milliseconds <= 0) return;
    this.keepAlive(batch);
    await (this.#options.pause ?? wait)(milliseconds);
    // Stopped meanwhile (the process is closing): the next start delivers the event again, from the cursor.
    if (this.#stopped) throw new Error(`${this.subscriber} stopped while retrying`);
    this.keepAlive(batch);
  }

  private keepAlive(batch: readonly JsMsg[]): void {
    for (const message of batch) message.working();
    for (const message of this.#queue) message.working();
  }

  /** Run the message's handler unless the inbox says its event was handled already (a repeat under a new seq). */
  private async handle(trx: Transaction<BusTables>, message: JsMsg): Promise<void> {
    const event = loggedEvent(message);
    if (!(await this.remember(trx, event))) return;
    const handler = this.#options.handlers[event.eventType];
    if (handler) await handler(JSON.parse(event.envelope) as never, trx as unknown as Transaction<never>);
  }

  /** Record the event in the inbox; false when it was there already. */
  private async remember(trx: Transaction<BusTables>, event: LoggedEvent): Promise<boolean> {
    return (await this.#remember.executeChanges(trx, { eventId: event.eventId, seq: event.seq })) > 0n;
  }

  /** Move the cursor forward to `seq`, never back: a late writer (a process that lost its claim) cannot undo a move. */
  private async advance(trx: Transaction<BusTables>, seq: number): Promise<void> {
    await this.#advance.execute(trx, { seq });
  }
}

function wait(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** The event type a message's subject carries (`ecom.<ns>.evt.<5-token type>.<partition>`). */
function typeOf(message: JsMsg): string {
  return message.subject.split(".").slice(3, -1).join(".");
}

/** A message as the log's reader sees it. */
export function loggedEvent(message: { seq: number; subject: string; data: Uint8Array }): LoggedEvent {
  const envelope = new TextDecoder().decode(message.data);
  const parsed = JSON.parse(envelope) as {
    eventId: string;
    eventType: string;
    producer: string;
    correlationId: string;
  };
  return {
    seq: message.seq,
    eventId: parsed.eventId,
    eventType: parsed.eventType,
    producer: parsed.producer,
    correlationId: parsed.correlationId,
    envelope,
  };
}
