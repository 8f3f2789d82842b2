import { CoalescingRunner } from "../coalescing-runner.js";
import { outgoingEvent } from "../outbox-relay.js";
import type { BusStore, OutgoingEvent, Relay } from "./event-bus.js";

/** Outbox rows read, published and deleted at a time. */
const BATCH = 100;
/** How often a relay looks at its outbox without being kicked: rows a crash or a failed publish left. */
const POLL_MS = 2_000;

/**
 * Moves a context's committed outbox rows to the JetStream stream, in `seq` order, one publish at a time (each with
 * the eventId as its message id, so the stream stores a repeat once), then deletes the rows the stream has
 * acknowledged. A failed publish stops the pass: the rows after it wait, so one producer's events reach the stream
 * in outbox order, and the next pass (a kick, or the poll) starts again from it. A crash after publishing and before
 * deleting publishes the same rows again at the next pass; the stream answers them as duplicates (within its
 * duplicate window). Rows are deleted by their own seq, never "up to" one: on a pool a transaction holding a lower
 * seq may commit after this pass read the outbox, and its row must stay for the next pass.
 */
export class JetStreamRelay implements Relay {
  readonly #runner: CoalescingRunner;
  readonly #poll: NodeJS.Timeout;

  constructor(
    private readonly store: BusStore,
    private readonly publish: (event: OutgoingEvent) => Promise<void>,
    onError: (error: unknown) => void,
  ) {
    this.#runner = new CoalescingRunner(() => this.drain(), onError);
    this.#poll = setInterval(() => this.kick(), POLL_MS);
    this.#poll.unref();
  }

  /** Rows are deleted by the relay itself, never by the publishing transaction. */
  clearable(): number | undefined {
    return undefined;
  }

  /** Nothing to do: published rows are deleted as soon as the stream acknowledged them. */
  async clear(): Promise<void> {}

  async waiting(): Promise<number> {
    const row = await this.store.db
      .selectFrom("_outbox")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  kick(): void {
    this.#runner.kick();
  }

  flush(): Promise<void> {
    return this.#runner.flush();
  }

  stop(): void {
    clearInterval(this.#poll);
    this.#runner.stop();
  }

  idle(): Promise<void> {
    return this.#runner.idle();
  }

  async drain(): Promise<void> {
    for (;;) {
      const rows = await this.store.db
        .selectFrom("_outbox")
        .select(["seq", "event_id", "envelope"])
        .orderBy("seq")
        .limit(BATCH)
        .execute();
      if (rows.length === 0) return;
      const published: number[] = [];
      try {
        for (const row of rows) {
          await this.publish(outgoingEvent(row.event_id, row.envelope));
          published.push(row.seq);
        }
      } finally {
        if (published.length > 0) await this.store.db.deleteFrom("_outbox").where("seq", "in", published).execute();
      }
      if (rows.length < BATCH) return;
    }
  }
}
