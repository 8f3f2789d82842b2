import { type CompiledStatement, compileQuery, type NoParams } from "@ecom/services/platform";
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { CoalescingRunner } from "../coalescing-runner.js";
import { outgoingEvent } from "../outbox-relay.js";
import type { BusStore, OutgoingEvent, Relay } from "./event-bus.js";
import type { JetStreamNames } from "./jetstream-names.js";

/** Outbox rows read, published and deleted at a time. */
const BATCH = 100;
/** How often a relay looks at its outbox without being kicked: rows a crash or a failed publish left. */
const POLL_MS = 2_000;

/** Where {@link publishEvent} publishes: the stream of a namespace, through a client and its manager. */
export interface PublishTarget {
  readonly client: JetStreamClient;
  readonly manager: JetStreamManager;
  readonly names: JetStreamNames;
}

/**
 * Publish one event with its eventId as the message id. The stream answers a message id it has seen within its
 * duplicate window as a duplicate and stores nothing: right when it is the same event published again (a relay
 * that crashed before deleting its rows), wrong when it is another event under a reused id — a database seeded
 * again against an old stream — which would be lost without a word. So a duplicate's stored message is fetched by
 * the ack's seq, and one whose data differs from the envelope sent is refused.
 */
export async function publishEvent(target: PublishTarget, event: OutgoingEvent): Promise<void> {
  const partitionKey = event.partitionKey ?? (JSON.parse(event.envelope) as { partitionKey: string }).partitionKey;
  const ack = await target.client.publish(target.names.subject(event.eventType, partitionKey), event.envelope, {
    msgID: event.eventId,
  });
  if (!ack.duplicate) return;
  const stored = await target.manager.direct.getMessage(target.names.stream, { seq: ack.seq });
  // Gone (the stream's limits removed it): nothing to compare with, and nothing of it is lost by storing none.
  if (!stored || new TextDecoder().decode(stored.data) === event.envelope) return;
  throw new Error(
    `the stream ${target.names.stream} already holds another event under the id ${event.eventId} (seq ${ack.seq}): the store was seeded or restored apart from this stream; start on a new --namespace, or delete the stream`,
  );
}

/**
 * Moves a context's committed outbox rows to the JetStream stream, in `seq` order, one publish at a time (each with
 * the eventId as its message id, so the stream stores a repeat once), then deletes the rows the stream has
 * acknowledged. A failed publish stops the pass: the rows after it wait, so one producer's events reach the stream
 * in outbox order, and the next pass (a kick, or the poll) starts again from it. A crash after publishing and before
 * deleting publishes the same rows again at the next pass; the stream answers them as duplicates (within its
 * duplicate window). A duplicate whose stored data differs is refused ({@link publishEvent}): the row stays, and the
 * relay reports the error at every pass. Rows are deleted by their own seq, never "up to" one: on a pool a
 * transaction holding a lower seq may commit after this pass read the outbox, and its row must stay for the next pass.
 */
export class JetStreamRelay implements Relay {
  readonly #runner: CoalescingRunner;
  readonly #poll: NodeJS.Timeout;
  /** Compiled once (compiled-query.ts): a pass reads the outbox, and every publish kicks a pass. */
  readonly #pending: CompiledStatement<NoParams, { seq: number; event_id: string; envelope: string | Buffer }>;
  readonly #waiting: CompiledStatement<NoParams, { count: number }>;

  constructor(
    private readonly store: BusStore,
    private readonly publish: (event: OutgoingEvent) => Promise<void>,
    onError: (error: unknown) => void,
  ) {
    this.#runner = new CoalescingRunner(() => this.drain(), onError);
    const { db } = store;
    this.#pending = compileQuery(() =>
      db.selectFrom("_outbox").select(["seq", "event_id", "envelope"]).orderBy("seq").limit(BATCH),
    );
    this.#waiting = compileQuery(() => db.selectFrom("_outbox").select((eb) => eb.fn.countAll<number>().as("count")));
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
    const row = await this.#waiting.executeTakeFirst(this.store.db);
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
      const rows = await this.#pending.execute(this.store.db);
      if (rows.length === 0) return;
      const published: number[] = [];
      try {
        for (const row of rows) {
          // Only the embedded bus's outbox keeps envelopes packed (RuntimeTables): a PostgreSQL store's holds text.
          if (typeof row.envelope !== "string")
            throw new Error(`outbox row ${row.seq} holds a packed envelope, which only the embedded bus reads`);
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
