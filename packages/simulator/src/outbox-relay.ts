import { CoalescingRunner } from "./coalescing-runner.js";
import type { EventLog } from "./event-log.js";
import type { PreparedStatement, RuntimeTables, SqliteStore } from "./sqlite-store.js";

/** Rows moved to the log at a time. */
const BATCH = 500;

/**
 * Moves a context's committed outbox rows into the event log, in order, then clears them. Runs when kicked (after
 * a publish) rather than polling; kicks while it runs coalesce into one more pass. A crash between appending and
 * clearing appends the same events again, which the log ignores by eventId. Its two statements are prepared once
 * and run without the query builder: they run for every event of the context.
 */
export class OutboxRelay {
  readonly #runner: CoalescingRunner;
  readonly #pending: PreparedStatement<{ seq: number; event_id: string; envelope: string }>;
  readonly #clear: PreparedStatement<unknown>;

  constructor(
    private readonly store: SqliteStore<RuntimeTables>,
    private readonly log: EventLog,
    onError: (error: unknown) => void,
  ) {
    this.#runner = new CoalescingRunner(() => this.drain(), onError);
    const { db } = store;
    this.#pending = store.prepare(
      db.selectFrom("_outbox").select(["seq", "event_id", "envelope"]).orderBy("seq").limit(BATCH),
      [BATCH],
    );
    this.#clear = store.prepare(db.deleteFrom("_outbox").where("seq", "<=", 0), [0]);
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

  /**
   * Move everything now in the outbox to the log. A pass ends with a batch shorter than {@link BATCH}: a publish
   * meanwhile kicks the relay, which then runs one more pass (and waits for the publishing transaction's commit,
   * which holds the connection).
   */
  async drain(): Promise<void> {
    for (;;) {
      const rows = await this.store.exclusive(() => this.#pending.all(BATCH));
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
      const last = rows[rows.length - 1]!.seq;
      await this.store.exclusive(() => this.#clear.run(last));
      if (rows.length < BATCH) return;
    }
  }
}
