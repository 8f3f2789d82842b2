import { EventEmitter } from "node:events";
import { type Generated, type Kysely, type Migration, type Selectable, sql } from "kysely";
import { packText, unpackText } from "./packed-text.js";
import { migrate, openSqliteStore, type PreparedStatement, type SqliteStore } from "./sqlite-store.js";

/** One event as the log holds it: its place in the total order and the envelope as published. */
export interface LoggedEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly eventType: string;
  readonly producer: string;
  readonly correlationId: string;
  /** The envelope JSON text, exactly as the producer's outbox wrote it. */
  readonly envelope: string;
}

interface LogTables {
  event_log: {
    seq: Generated<number>;
    event_id: string;
    event_type: string;
    producer: string;
    correlation_id: string;
    /** Packed ({@link packText}, a BLOB) since envelopes are kept packed; the JSON text itself in older rows. */
    envelope: string | Buffer;
  };
}

/** How many of the newest envelopes the log keeps as text, so subscribers reading what was just appended unpack none. */
const RECENT_ENVELOPES = 4096;

/**
 * The log's table: portable, so the same migration runs on PostgreSQL (autoIncrement() is an identity column there,
 * store/postgres-dialect.ts).
 */
export const eventLogMigrations: Readonly<Record<string, Migration>> = {
  "0001_event_log": {
    async up(db) {
      await db.schema
        .createTable("event_log")
        .addColumn("seq", "integer", (column) => column.primaryKey().autoIncrement())
        .addColumn("event_id", "text", (column) => column.notNull().unique())
        .addColumn("event_type", "text", (column) => column.notNull())
        .addColumn("producer", "text", (column) => column.notNull())
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("envelope", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("event_log_by_type").on("event_log").columns(["event_type", "seq"]).execute();
      await db.schema
        .createIndex("event_log_by_correlation")
        .on("event_log")
        .columns(["correlation_id", "seq"])
        .execute();
    },
  },
};

/**
 * The platform's ordered, durable event log: every event of every context, once, in the order the relay appended
 * it. Appending is idempotent by eventId, so a relay that crashes between appending and clearing its outbox and
 * appends again changes nothing. Read models are rebuilt from it.
 */
export class EventLog extends EventEmitter<{ appended: [LoggedEvent[]] }> {
  // Appending runs for every event, and reading for every pass of every subscriber: prepared once, without the
  // query builder.
  readonly #insert: PreparedStatement<{ seq: number }>;
  readonly #envelopeOf: PreparedStatement<{ envelope: string | Buffer }>;
  readonly #reads = new Map<string, PreparedStatement<Selectable<LogTables["event_log"]>>>();
  // Envelopes are kept packed (a quarter of their size), and every event is read soon after it is appended, by each
  // of its subscribers: the newest are kept here as text by seq, so those reads unpack nothing.
  readonly #recent = new Map<number, string>();

  private constructor(
    private readonly store: SqliteStore<LogTables>,
    private readonly db: Kysely<LogTables>,
  ) {
    super();
    this.setMaxListeners(0);
    const columns = ["event_id", "event_type", "producer", "correlation_id", "envelope"] as const;
    this.#insert = store.prepare(
      db
        .insertInto("event_log")
        .values(
          Object.fromEntries(columns.map((column) => [column, column])) as Record<(typeof columns)[number], string>,
        )
        .onConflict((conflict) => conflict.column("event_id").doNothing())
        .returning("seq"),
      columns,
    );
    this.#envelopeOf = store.prepare(db.selectFrom("event_log").select("envelope").where("event_id", "=", "event_id"), [
      "event_id",
    ]);
  }

  /** Open (and create or migrate) the log in `file`, or an in-memory copy of a serialized one. */
  static async open(file: string | Buffer): Promise<EventLog> {
    const store = openSqliteStore<LogTables>(file);
    await migrate(store.db as Kysely<unknown>, eventLogMigrations, { label: "the event log", table: "_migrations" });
    return new EventLog(store, store.db);
  }

  /** Append envelopes (JSON text) in order; ones already in the log are skipped. Emits `appended` with the new ones. */
  async append(
    envelopes: readonly {
      eventId: string;
      eventType: string;
      producer: string;
      correlationId: string;
      envelope: string;
    }[],
  ): Promise<LoggedEvent[]> {
    if (envelopes.length === 0) return [];
    const appended = await this.store.exclusive(
      () => {
        const rows: LoggedEvent[] = [];
        for (const entry of envelopes) {
          const [inserted] = this.#insert.all(
            entry.eventId,
            entry.eventType,
            entry.producer,
            entry.correlationId,
            packText(entry.envelope),
          );
          if (inserted) {
            rows.push({ seq: inserted.seq, ...entry });
            continue;
          }
          // Already logged: a relay that appends again after a crash sends the very same envelope. Another envelope
          // under a logged id means ids were made twice; dropping the event silently would lose it, so fail loudly.
          const [logged] = this.#envelopeOf.all(entry.eventId);
          if (logged && unpackText(logged.envelope) !== entry.envelope) {
            throw new Error(
              `event id ${entry.eventId} is already in the log with another event; refusing to drop ${entry.eventType}`,
            );
          }
        }
        return rows;
      },
      { transaction: true },
    );
    for (const event of appended) this.#remember(event.seq, event.envelope);
    if (appended.length > 0) this.emit("appended", appended);
    return appended;
  }

  /** Events after `afterSeq` in log order, optionally only of some types; at most `limit`. */
  async read(options: {
    readonly afterSeq: number;
    readonly types?: readonly string[];
    readonly correlationId?: string;
    readonly limit?: number;
  }): Promise<LoggedEvent[]> {
    const { afterSeq, types, correlationId } = options;
    if (types?.length === 0) return [];
    const limit = options.limit ?? 1000;
    const parameters = [afterSeq, ...(types ?? []), ...(correlationId === undefined ? [] : [correlationId]), limit];
    // A dispatcher reads with the same types at every pass: one statement per shape (how many types, whether by
    // correlation id), compiled once; a handful of shapes in all.
    const shape = `${types?.length ?? "all"}:${correlationId !== undefined}`;
    let statement = this.#reads.get(shape);
    if (!statement) {
      let query = this.db.selectFrom("event_log").selectAll().where("seq", ">", afterSeq);
      if (types) query = query.where("event_type", "in", types);
      if (correlationId !== undefined) query = query.where("correlation_id", "=", correlationId);
      statement = this.store.prepare(query.orderBy("seq").limit(limit), parameters);
      this.#reads.set(shape, statement);
    }
    const prepared = statement;
    const rows = await this.store.exclusive(() => prepared.all(...parameters));
    return rows.map((row) => ({
      seq: row.seq,
      eventId: row.event_id,
      eventType: row.event_type,
      producer: row.producer,
      correlationId: row.correlation_id,
      envelope: this.#recent.get(row.seq) ?? unpackText(row.envelope),
    }));
  }

  #remember(seq: number, envelope: string): void {
    this.#recent.set(seq, envelope);
    if (this.#recent.size > RECENT_ENVELOPES) {
      // A Map iterates in insertion order: the first key is the oldest remembered.
      for (const oldest of this.#recent.keys()) {
        this.#recent.delete(oldest);
        break;
      }
    }
  }

  /** How many events up to `upToSeq` (inclusive) the log holds of `types`. */
  async count(options: { readonly upToSeq: number; readonly types: readonly string[] }): Promise<number> {
    if (options.types.length === 0) return 0;
    const row = await this.db
      .selectFrom("event_log")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("seq", "<=", options.upToSeq)
      .where("event_type", "in", options.types)
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /**
   * How many events of `types` come after `afterSeq`, counted up to `limit`: the envelopes are never read, so a
   * long backlog costs an index walk of at most `limit` entries.
   */
  async countAfter(options: {
    readonly afterSeq: number;
    readonly types: readonly string[];
    readonly limit: number;
  }): Promise<number> {
    if (options.types.length === 0) return 0;
    const row = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom("event_log")
          .select("seq")
          .where("seq", ">", options.afterSeq)
          .where("event_type", "in", options.types)
          .limit(options.limit)
          .as("waiting"),
      )
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .executeTakeFirst();
    return Number(row?.count ?? 0);
  }

  /** The sequence number of the newest event, 0 for an empty log. */
  async lastSeq(): Promise<number> {
    const row = await this.db
      .selectFrom("event_log")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /**
   * The highest sequence number the log has given out: its newest event, or the number a repaired log continues from
   * (`ecom sim repair` sets it past every number a store has seen) when it holds none past that yet.
   */
  async highWater(): Promise<number> {
    const { rows } = await sql<{ seq: number }>`select max(
        coalesce((select max(seq) from event_log), 0),
        coalesce((select seq from sqlite_sequence where name = 'event_log'), 0)) as seq`.execute(this.db);
    return Number(rows[0]?.seq ?? 0);
  }

  checkpoint(): void {
    this.store.checkpoint();
  }

  /** The whole log as one buffer (an in-memory log's seed snapshot). */
  serialize(): Buffer {
    return this.store.serialize();
  }

  async close(): Promise<void> {
    this.removeAllListeners();
    await this.store.close();
  }
}
