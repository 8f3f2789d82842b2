import { setTimeout as sleep } from "node:timers/promises";
import type { Logger, MessageHandler } from "@ecom/services/platform";
import type { Transaction } from "kysely";
import { ATTEMPTS, EventRetries } from "./bus/delivery-retry.js";
import { CoalescingRunner } from "./coalescing-runner.js";
import type { EventLog, LoggedEvent } from "./event-log.js";
import type { PreparedStatement, RuntimeTables, SqliteStore } from "./sqlite-store.js";

const CURSOR = "subscriptions";
/** Events read, and delivered in one transaction, at a time. */
const BATCH = 100;

/**
 * Delivers the event log to one subscribing context, in log order. A delivery runs the handlers and advances the
 * subscriber's cursor in ONE transaction of the subscriber's store, so a crash either leaves all of it undone (and
 * the events are delivered again) or all done. The cursor alone says what the subscriber has handled: the log gives
 * each event one place in an order that never changes, and events are delivered in that order, so no event at or
 * before the cursor is delivered again and none after it has been (a per-event inbox row would only repeat that,
 * at two statements an event). What is pending is delivered together, in one transaction (one commit instead of one
 * per event); when a handler fails in it, nothing of the batch is kept and its events are delivered one at a time
 * instead, by the rule JetStream's subscription follows too (bus/delivery-retry.ts): a handler that fails
 * {@link ATTEMPTS} times has its event dead-lettered, loudly, and delivery goes on; one that fails with `unavailable`
 * (a context it calls is down) is tried again after a capped backoff until it goes through, its later events waiting.
 */
export class SubscriptionDispatcher {
  readonly #runner: CoalescingRunner;
  /** Aborted by {@link stop}: a pause before an attempt again ends there, and the pass with it. */
  readonly #stopping = new AbortController();
  /** The cursor as last committed; this dispatcher is its only writer while the platform runs. */
  #cursor: number | undefined;
  /** Moves the cursor; run in the delivery's transaction, once per batch. */
  readonly #advance: PreparedStatement<unknown>;

  constructor(
    readonly subscriber: string,
    private readonly store: SqliteStore<RuntimeTables>,
    private readonly log: EventLog,
    private readonly handlers: Readonly<Record<string, MessageHandler<never, never>>>,
    private readonly logger: Logger,
    private readonly now: () => Date,
    /** How a pause before an attempt again is waited: a timer, cut short by {@link stop} (tests record them). */
    private readonly pause: (milliseconds: number, signal: AbortSignal) => Promise<void> = pauseUnlessStopped,
  ) {
    this.#runner = new CoalescingRunner(
      () => this.drain(),
      (error) => this.logger.error(`delivery to ${this.subscriber} stopped`, { error: String(error) }),
    );
    this.#advance = store.prepare(
      store.db
        .insertInto("_cursor")
        .values({ name: CURSOR, seq: 0 })
        // Forward only: a late writer can never move the cursor back.
        .onConflict((conflict) =>
          conflict
            .column("name")
            .doUpdateSet((eb) => ({ seq: eb.ref("excluded.seq") }))
            .where("_cursor.seq", "<", (eb) => eb.ref("excluded.seq")),
        ),
      [CURSOR, 0],
    );
    this.types = Object.freeze(Object.keys(handlers));
  }

  /** The types this subscriber handles: one list, which the log's reads know again at every pass. */
  readonly types: readonly string[];

  /** Ask for a pass soon. */
  kick(): void {
    this.#runner.kick();
  }

  /** Take no more kicks (the platform is closing); a pass under way finishes. */
  stop(): void {
    this.#runner.stop();
    this.#stopping.abort();
  }

  /** Resolves when no pass is running or pending. */
  idle(): Promise<void> {
    return this.#runner.idle();
  }

  /**
   * Deliver everything after the cursor. A pass ends with a batch shorter than {@link BATCH}: an event appended
   * meanwhile kicks the dispatcher, which then runs one more pass.
   */
  async drain(): Promise<void> {
    const types = this.types;
    if (types.length === 0) return;
    for (;;) {
      this.#cursor ??= await this.readCursor();
      const batch = await this.log.read({ afterSeq: this.#cursor, types, limit: BATCH });
      if (batch.length === 0) return;
      if (batch.length === 1 || !(await this.deliverTogether(batch))) {
        for (const event of batch) if (!(await this.deliver(event))) return;
      }
      if (batch.length < BATCH) return;
    }
  }

  private async readCursor(): Promise<number> {
    const row = await this.store.db.selectFrom("_cursor").select("seq").where("name", "=", CURSOR).executeTakeFirst();
    return row?.seq ?? 0;
  }

  /** Deliver `batch` in one transaction; false, with nothing changed, when a handler failed. */
  private async deliverTogether(batch: readonly LoggedEvent[]): Promise<boolean> {
    const last = batch[batch.length - 1]!.seq;
    try {
      await this.store.db.transaction().execute(async (trx) => {
        for (const event of batch) await this.handle(trx, event);
        this.#advance.run(CURSOR, last);
      });
    } catch {
      return false;
    }
    this.#cursor = last;
    return true;
  }

  /** Run the event's handler, if the subscriber has one for its type. */
  private async handle(trx: Transaction<RuntimeTables>, event: LoggedEvent): Promise<void> {
    const handler = this.handlers[event.eventType];
    if (handler) await handler(messageOf(event) as never, trx as unknown as Transaction<never>);
  }

  /** Deliver `event` alone, as often as the rule says; false when stopped first (the next start delivers it). */
  private async deliver(event: LoggedEvent): Promise<boolean> {
    const retries = new EventRetries();
    for (;;) {
      const pause = retries.nextPauseMs();
      if (pause > 0) {
        await this.pause(pause, this.#stopping.signal);
        if (this.#stopping.signal.aborted) return false;
      }
      try {
        await this.store.db.transaction().execute(async (trx) => {
          await this.handle(trx, event);
          this.#advance.run(CURSOR, event.seq);
        });
        this.#cursor = event.seq;
        return true;
      } catch (error) {
        if (!retries.failed(error)) break;
        if (retries.beganWaiting) {
          this.logger.warn(`${this.subscriber}: a context it calls is unavailable; retrying until it is back`, {
            error: String(error),
          });
        }
      }
    }
    const lastError = retries.lastError;
    this.logger.error(
      `${this.subscriber} failed to handle ${event.eventType} ${event.eventId} ${ATTEMPTS} times; dead-lettered`,
      { error: String(lastError) },
    );
    await this.store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("_dead_letter")
        .values({
          event_id: event.eventId,
          event_type: event.eventType,
          error: String(lastError),
          failed_at: this.now().toISOString(),
        })
        .onConflict((conflict) => conflict.column("event_id").doNothing())
        .execute();
      this.#advance.run(CURSOR, event.seq);
    });
    this.#cursor = event.seq;
    return true;
  }
}

/**
 * The envelopes the log's newest events hold, parsed: every subscriber of an event's type is handed the same event
 * (the log answers their reads from its in-memory tail), and parses it once between them instead of once each.
 */
const parsedEnvelopes = new WeakMap<LoggedEvent, unknown>();

/**
 * The message `event` holds, parsed once for all its subscribers and frozen, as they share it: a handler that tried
 * to change it (and so another context's copy) throws instead.
 */
function messageOf(event: LoggedEvent): unknown {
  let message = parsedEnvelopes.get(event);
  if (message === undefined) {
    message = deepFrozen(JSON.parse(event.envelope));
    parsedEnvelopes.set(event, message);
  }
  return message;
}

/** `value` with every object and array in it frozen. */
function deepFrozen(value: unknown): unknown {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFrozen(inner);
    Object.freeze(value);
  }
  return value;
}

/** Wait `milliseconds`, or less when `signal` aborts first. */
async function pauseUnlessStopped(milliseconds: number, signal: AbortSignal): Promise<void> {
  await sleep(milliseconds, undefined, { signal }).catch(() => undefined);
}
