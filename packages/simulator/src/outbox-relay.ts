import type { Kysely } from "kysely";
import type { EventLog } from "./event-log.js";
import type { RuntimeTables } from "./sqlite-store.js";

/**
 * Moves a context's committed outbox rows into the event log, in order, then clears them. Runs when kicked (after
 * a publish) rather than polling; kicks while it runs coalesce into one more pass. A crash between appending and
 * clearing appends the same events again, which the log ignores by eventId.
 */
export class OutboxRelay {
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(
    private readonly db: Kysely<RuntimeTables>,
    private readonly log: EventLog,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Ask for a pass soon. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .catch(this.onError)
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is running or pending. */
  /** Take no more kicks (the platform is closing); a pass under way finishes. */
  stop(): void {
    this.#stopped = true;
    this.#again = false;
  }

  async idle(): Promise<void> {
    while (this.#running) await this.#running;
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
