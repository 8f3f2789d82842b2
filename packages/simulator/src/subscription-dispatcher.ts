import type { Logger, MessageHandler } from "@ecom/services/platform";
import type { Kysely, Transaction } from "kysely";
import { CoalescingRunner } from "./coalescing-runner.js";
import type { EventLog, LoggedEvent } from "./event-log.js";
import type { RuntimeTables } from "./sqlite-store.js";

const CURSOR = "subscriptions";
const ATTEMPTS = 3;
/** Events read, and delivered in one transaction, at a time. */
const BATCH = 100;

/**
 * Delivers the event log to one subscribing context, in log order. A delivery runs the handlers, records the events
 * in the subscriber's inbox and advances its cursor in ONE transaction of the subscriber's store, so a crash either
 * leaves all of it undone (and the events are delivered again) or all done; an event already in the inbox is
 * skipped, so duplicates and redeliveries change nothing. What is pending is delivered together, in one transaction
 * (one commit instead of one per event); when a handler fails in it, nothing of the batch is kept and its events are
 * delivered one at a time instead: a handler that fails {@link ATTEMPTS} times has its event dead-lettered, loudly,
 * and delivery goes on.
 */
export class SubscriptionDispatcher {
  readonly #runner: CoalescingRunner;

  constructor(
    readonly subscriber: string,
    private readonly db: Kysely<RuntimeTables>,
    private readonly log: EventLog,
    private readonly handlers: Readonly<Record<string, MessageHandler<never, never>>>,
    private readonly logger: Logger,
    private readonly now: () => Date,
  ) {
    this.#runner = new CoalescingRunner(
      () => this.drain(),
      (error) => this.logger.error(`delivery to ${this.subscriber} stopped`, { error: String(error) }),
    );
  }

  /** The types this subscriber handles. */
  get types(): string[] {
    return Object.keys(this.handlers);
  }

  /** Ask for a pass soon. */
  kick(): void {
    this.#runner.kick();
  }

  /** Take no more kicks (the platform is closing); a pass under way finishes. */
  stop(): void {
    this.#runner.stop();
  }

  /** Resolves when no pass is running or pending. */
  idle(): Promise<void> {
    return this.#runner.idle();
  }

  /** Deliver everything after the cursor. */
  async drain(): Promise<void> {
    const types = this.types;
    if (types.length === 0) return;
    for (;;) {
      const cursor = await this.db.selectFrom("_cursor").select("seq").where("name", "=", CURSOR).executeTakeFirst();
      const batch = await this.log.read({ afterSeq: cursor?.seq ?? 0, types, limit: BATCH });
      if (batch.length === 0) return;
      if (batch.length > 1 && (await this.deliverTogether(batch))) continue;
      for (const event of batch) await this.deliver(event.seq, event.eventId, event.eventType, event.envelope);
    }
  }

  /** Deliver `batch` in one transaction; false, with nothing changed, when a handler failed. */
  private async deliverTogether(batch: readonly LoggedEvent[]): Promise<boolean> {
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const event of batch) await this.handleOnce(trx, event.eventId, event.eventType, event.envelope);
        await advance(trx, batch[batch.length - 1]!.seq);
      });
      return true;
    } catch {
      return false;
    }
  }

  /** Run the event's handler and record it in the inbox, unless the inbox has it already. */
  private async handleOnce(
    trx: Transaction<RuntimeTables>,
    eventId: string,
    eventType: string,
    envelope: string,
  ): Promise<void> {
    const handler = this.handlers[eventType];
    if (!handler) return;
    const seen = await trx.selectFrom("_inbox").select("event_id").where("event_id", "=", eventId).executeTakeFirst();
    if (seen) return;
    await handler(JSON.parse(envelope) as never, trx as unknown as Transaction<never>);
    await trx
      .insertInto("_inbox")
      .values({ event_id: eventId, event_type: eventType, processed_at: this.now().toISOString() })
      .execute();
  }

  private async deliver(seq: number, eventId: string, eventType: string, envelope: string): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await this.db.transaction().execute(async (trx) => {
          await this.handleOnce(trx, eventId, eventType, envelope);
          await advance(trx, seq);
        });
        return;
      } catch (error) {
        lastError = error;
      }
    }
    this.logger.error(`${this.subscriber} failed to handle ${eventType} ${eventId} ${ATTEMPTS} times; dead-lettered`, {
      error: String(lastError),
    });
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("_dead_letter")
        .values({
          event_id: eventId,
          event_type: eventType,
          error: String(lastError),
          failed_at: this.now().toISOString(),
        })
        .onConflict((conflict) => conflict.column("event_id").doNothing())
        .execute();
      await advance(trx, seq);
    });
  }
}

async function advance(trx: Transaction<RuntimeTables>, seq: number): Promise<void> {
  await trx
    .insertInto("_cursor")
    .values({ name: CURSOR, seq })
    .onConflict((conflict) => conflict.column("name").doUpdateSet({ seq }))
    .execute();
}
