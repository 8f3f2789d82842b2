import type { CommittedOutboxRow, OutgoingEvent, Relay } from "./bus/event-bus.js";
import { CoalescingRunner } from "./coalescing-runner.js";
import { idText } from "./compact-ids.js";
import { unpackedEnvelope } from "./packed-envelope.js";
import type { PreparedStatement, RuntimeTables, SqliteStore } from "./sqlite-store.js";

/** Rows moved to the log at a time. */
const BATCH = 500;

/**
 * Moves a context's committed outbox rows into the embedded event log, in order. Runs when kicked (after a publish) rather
 * than polling; kicks while it runs coalesce into one more pass. Rows moved are not deleted by a transaction of
 * their own: the next publish of the context deletes them in its transaction ({@link OutboxRelay.clearable}), and
 * closing deletes the rest, but for the last one moved, which stays: a new row's `seq` is one past the highest the
 * table holds (no AUTOINCREMENT, outbox-migrations.ts), so that row keeps every new one after the relay's mark. A crash before that appends the same events again at the next start, which the log
 * ignores by eventId. Its statements are prepared once and run without the query builder: they run for every event
 * of the context. A publishing transaction tells it of the rows it committed ({@link OutboxRelay.committed}): when
 * they are the very rows after the last one moved, a pass moves them without reading the outbox.
 */
export class OutboxRelay implements Relay {
  /** The outbox keeps envelopes packed (outbox.ts): the log takes their bytes as they are. */
  readonly packedOutbox = true;
  readonly #runner: CoalescingRunner;
  readonly #pending: PreparedStatement<{
    seq: number;
    event_id: string;
    envelope: string | Buffer;
    correlation_id: string | Buffer | null;
  }>;
  readonly #waiting: PreparedStatement<{ count: number }>;
  readonly #clear: PreparedStatement<unknown>;
  /** The last outbox row this relay appended to the log (0 at start: a crash may have left rows it appended). */
  #relayed = 0;
  /** The last row a clear was asked for; rows after it and up to {@link #relayed} are still to delete. */
  #cleared = 0;
  /** Rows publishing transactions committed since the last pass, as they told of them. */
  #told: CommittedOutboxRow[] = [];

  constructor(
    /** The context whose outbox this is: the producer its packed envelopes are read against. */
    private readonly producer: string,
    private readonly store: SqliteStore<RuntimeTables>,
    /** The log's append, idempotent by eventId. */
    private readonly append: (events: readonly OutgoingEvent[]) => Promise<unknown>,
    onError: (error: unknown) => void,
  ) {
    this.#runner = new CoalescingRunner(() => this.#pass(), onError);
    const { db } = store;
    this.#pending = store.prepare(
      db
        .selectFrom("_outbox")
        .select(["seq", "event_id", "envelope", "correlation_id"])
        .where("seq", ">", 0)
        .orderBy("seq")
        .limit(BATCH),
      [0, BATCH],
    );
    this.#waiting = store.prepare(
      db
        .selectFrom("_outbox")
        .select((eb) => eb.fn.countAll<number>().as("count"))
        .where("seq", ">", 0),
      [0],
    );
    this.#clear = store.prepare(db.deleteFrom("_outbox").where("seq", "<", 0), [0]);
  }

  /**
   * The last outbox row moved, when rows were moved since the last call: the rows before it may be deleted, not it
   * (it keeps new rows' `seq` past the mark). The outbox deletes them in the publishing transaction, which writes the
   * outbox's page anyway (no commit of their own). If that transaction rolls back, they stay until the next clear,
   * which takes every row before its own mark.
   */
  clearable(): number | undefined {
    if (this.#relayed <= this.#cleared) return undefined;
    this.#cleared = this.#relayed;
    return this.#relayed;
  }

  /**
   * Delete the rows moved to the log now (after the start's settle, and at close), but for the last one moved (see
   * {@link OutboxRelay.clearable}); nothing when none were moved.
   */
  async clear(): Promise<void> {
    const upTo = this.#relayed;
    if (upTo === 0) return;
    await this.store.exclusive(() => this.#clear.run(upTo));
    this.#cleared = Math.max(this.#cleared, upTo);
  }

  /** How many committed rows are not in the log yet. */
  async waiting(): Promise<number> {
    const [row] = await this.store.exclusive(() => this.#waiting.all(this.#relayed));
    return Number(row?.count ?? 0);
  }

  /** Rows a publishing transaction committed (told after its commit, before it flushes): the next pass moves them. */
  committed(rows: readonly CommittedOutboxRow[]): void {
    for (const row of rows) this.#told.push(row);
  }

  /** Ask for a pass soon. */
  kick(): void {
    this.#runner.kick();
  }

  /**
   * Move what is committed now to the log, and resolve once it is there (a pass that started after this call has
   * finished). A publishing transaction awaits this after its commit, so its caller (an RPC handler about to reply)
   * answers only once its events are in the log: "publish before reply", which keeps the log in causal order across
   * contexts.
   */
  flush(): Promise<void> {
    return this.#runner.flush();
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
   * Move everything now in the outbox to the log: the rows told of, when they follow the last row moved without a
   * gap (every row up to the last of them is then known), else what a read of the outbox finds. A pass ends with a
   * batch shorter than {@link BATCH}: a publish meanwhile kicks the relay, which then runs one more pass (and waits
   * for the publishing transaction's commit, which holds the connection).
   */
  async drain(): Promise<void> {
    const told = this.#takeTold();
    if (told) await this.#move(told);
    else await this.#read();
  }

  /**
   * A pass a publish asked for: its rows were told of before it asked, so when nothing is told, every row committed
   * has been moved, and the outbox is not read. A read would find nothing, or, on a store whose transactions commit
   * in groups (store/group-commit.ts), rows of a group not yet committed, which it would wait for and move before
   * their transactions tell of them.
   */
  async #pass(): Promise<void> {
    if (this.#told.length === 0) return;
    await this.drain();
  }

  async #move(told: readonly CommittedOutboxRow[]): Promise<void> {
    await this.append(told.map((row) => row.event));
    this.#relayed = Math.max(this.#relayed, told[told.length - 1]!.seq);
  }

  async #read(): Promise<void> {
    for (;;) {
      const rows = await this.store.exclusive(() => this.#pending.all(this.#relayed, BATCH));
      if (rows.length === 0) return;
      await this.append(rows.map((row) => this.#outgoing(row)));
      this.#relayed = Math.max(this.#relayed, rows[rows.length - 1]!.seq);
      if (rows.length < BATCH) return;
    }
  }

  /**
   * An outbox row as the log takes it: its envelope's text, and the packed bytes when the row keeps it packed; maybe
   * logged already (the row a clear keeps, or rows a crash left), which the log looks for before it inserts.
   */
  #outgoing(row: {
    readonly event_id: string;
    readonly envelope: string | Buffer;
    readonly correlation_id: string | Buffer | null;
  }): OutgoingEvent {
    if (typeof row.envelope === "string") return { ...outgoingEvent(row.event_id, row.envelope), maybeLogged: true };
    if (row.correlation_id === null)
      throw new Error(`outbox row of ${row.event_id}: a packed envelope without its correlation id`);
    const text = unpackedEnvelope(row.envelope, row.event_id, this.producer, idText(row.correlation_id));
    return { ...outgoingEvent(row.event_id, text), packed: row.envelope, maybeLogged: true };
  }

  /**
   * The rows told of after the last one moved, when they are exactly the outbox's next rows (`seq` one after
   * another from it); undefined otherwise — none told, or a row in between not told of (its transaction's hook has
   * not run yet, or a crash left it before this start) — and the outbox is read instead. Rows told of at or before
   * the last one moved were moved by a read: they are dropped.
   */
  #takeTold(): CommittedOutboxRow[] | undefined {
    const told = this.#told.filter((row) => row.seq > this.#relayed);
    this.#told = [];
    if (told.length === 0) return undefined;
    // Transactions committed together (a group commit, store/group-commit.ts) may tell of their rows out of order.
    told.sort((a, b) => a.seq - b.seq);
    for (const [index, row] of told.entries()) if (row.seq !== this.#relayed + 1 + index) return undefined;
    return told;
  }
}

/** An outbox row as the bus takes it: the fields it indexes or routes by, read from the envelope text. */
export function outgoingEvent(eventId: string, envelope: string): OutgoingEvent {
  const parsed = envelopeHead(envelope);
  return {
    eventId,
    eventType: parsed.eventType,
    producer: parsed.producer,
    correlationId: parsed.correlationId,
    partitionKey: parsed.partitionKey,
    envelope,
  };
}

/** The envelope's fields the bus routes by. */
interface EnvelopeHead {
  readonly eventType: string;
  readonly producer: string;
  readonly correlationId: string;
  readonly partitionKey: string;
}

/** Where the outbox's envelopes (outbox.ts) end their string fields and begin the payload, which they write last. */
const PAYLOAD_KEY = ',"payload":';

/**
 * The routing fields of an envelope, parsed from the text before its payload (most of the envelope, and all of its
 * nesting) when that text holds them all. The first `,"payload":` is the envelope's own key: every value before it
 * is a string, and a `"` inside a JSON string is escaped. Anything else is parsed whole.
 */
function envelopeHead(envelope: string): EnvelopeHead {
  const payloadAt = envelope.indexOf(PAYLOAD_KEY);
  if (payloadAt > 0) {
    try {
      const head = JSON.parse(`${envelope.slice(0, payloadAt)}}`) as Partial<EnvelopeHead>;
      if (
        typeof head.eventType === "string" &&
        typeof head.producer === "string" &&
        typeof head.correlationId === "string" &&
        typeof head.partitionKey === "string"
      )
        return head as EnvelopeHead;
    } catch {
      // Not the outbox's own layout: parsed whole below.
    }
  }
  return JSON.parse(envelope) as EnvelopeHead;
}
