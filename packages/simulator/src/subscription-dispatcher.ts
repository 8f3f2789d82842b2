import type { EcomMessage } from "@ecom/sdk";
import type { Logger, MessageHandler } from "@ecom/services/platform";
import type { Kysely, Transaction } from "kysely";
import { CoalescingRunner } from "./coalescing-runner.js";
import type { EventLog } from "./event-log.js";
import type { RuntimeTables } from "./sqlite-store.js";

const CURSOR = "subscriptions";
const ATTEMPTS = 3;

/**
 * Delivers the event log to one subscribing context, in log order, one event at a time. Each delivery runs the
 * handler, records the event in the subscriber's inbox and advances its cursor in ONE transaction of the
 * subscriber's store, so a crash either leaves all three undone (and the event is delivered again) or all done; an
 * event already in the inbox is skipped, so duplicates and redeliveries change nothing. A handler that fails
 * {@link ATTEMPTS} times has the event dead-lettered, loudly, and delivery goes on.
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
      const batch = await this.log.read({ afterSeq: cursor?.seq ?? 0, types, limit: 200 });
      if (batch.length === 0) return;
      for (const event of batch) await this.deliver(event.seq, event.eventId, event.eventType, event.envelope);
    }
  }

  private async deliver(seq: number, eventId: string, eventType: string, envelope: string): Promise<void> {
    const handler = this.handlers[eventType];
    const message = JSON.parse(envelope) as EcomMessage;
    let lastError: unknown;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await this.db.transaction().execute(async (trx) => {
          const seen = await trx
            .selectFrom("_inbox")
            .select("event_id")
            .where("event_id", "=", eventId)
            .executeTakeFirst();
          if (!seen && handler) {
            await handler(message as never, trx as unknown as Transaction<never>);
            await trx
              .insertInto("_inbox")
              .values({ event_id: eventId, event_type: eventType, processed_at: this.now().toISOString() })
              .execute();
          }
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
