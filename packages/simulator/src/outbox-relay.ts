import type { Kysely } from "kysely";
import { CoalescingRunner } from "./coalescing-runner.js";
import type { EventLog } from "./event-log.js";
import type { RuntimeTables } from "./sqlite-store.js";

/**
 * Moves a context's committed outbox rows into the event log, in order, then clears them. Runs when kicked (after
 * a publish) rather than polling; kicks while it runs coalesce into one more pass. A crash between appending and
 * clearing appends the same events again, which the log ignores by eventId.
 */
export class OutboxRelay {
  readonly #runner: CoalescingRunner;

  constructor(
    private readonly db: Kysely<RuntimeTables>,
    private readonly log: EventLog,
    onError: (error: unknown) => void,
  ) {
    this.#runner = new CoalescingRunner(() => this.drain(), onError);
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

  /** Move everything now in the outbox to the log. */
  async drain(): Promise<void> {
    for (;;) {
      const rows = await this.db
        .selectFrom("_outbox")
        .select(["seq", "event_id", "envelope"])
        .orderBy("seq")
        .limit(500)
        .execute();
      if (rows.length === 0) return;
      await this.log.append(
        rows.map((row) => {
          const envelope = JSON.parse(row.envelope) as { eventType: string; producer: string; correlationId: string };
          return {
            eventId: row.event_id,
            eventType: envelope.eventType,
            producer: envelope.producer,
            correlationId: envelope.correlationId,
            envelope: row.envelope,
          };
        }),
      );
      await this.db
        .deleteFrom("_outbox")
        .where("seq", "<=", rows[rows.length - 1]!.seq)
        .execute();
    }
  }
}
