import { EventEmitter } from "node:events";
import { dialectOf } from "@ecom/services/platform";
import { type Generated, type Kysely, type Migration, type Selectable, sql } from "kysely";
import { idText, keptId } from "./compact-ids.js";
import { EventLogTail } from "./event-log-tail.js";
import { EventTypeCodes, eventTypeCodesMigration, producersByTypeMigration } from "./event-type-codes.js";
import { loggedEnvelope, packedEnvelope, unpackedEnvelope } from "./packed-envelope.js";
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

// A type, not an interface: Kysely's withTables takes only types with an index signature, which an interface lacks.
type LogTables = {
  event_log: {
    seq: Generated<number>;
    /** Kept compact ({@link keptId}): a platform-made id as a 19-byte BLOB, any other as its text. */
    event_id: string | Buffer;
    /** The type's code (event-type-codes.ts). */
    type_code: number;
    /** The empty text when it is the type's producer, kept in `event_types` (event-type-codes.ts). */
    producer: string;
    /** Kept compact, as `event_id`. */
    correlation_id: string | Buffer;
    /**
     * Packed ({@link packedEnvelope}, a BLOB) since envelopes are kept packed, against the row's own ids (format 2,
     * packed-envelope.ts) since those are kept compact, with the dictionary of envelopes as the platform
     * writes them (format 3) since then, and with a smaller one and the trace id in the context (format 4) since
     * then; the JSON text itself in older rows.
     */
    envelope: string | Buffer;
  };
  event_types: { code: number; event_type: string; producer: string | null };
};

/** An envelope to append, with the fields the log indexes it by. */
export interface AppendedEnvelope {
  readonly eventId: string;
  readonly eventType: string;
  readonly producer: string;
  readonly correlationId: string;
  readonly envelope: string;
  /** The envelope already packed ({@link packedEnvelope}), as a producer's outbox may keep it: written as it is. */
  readonly packed?: Buffer;
  /** Read back from an outbox, which keeps rows already logged (after a crash, and the last one a relay moved). */
  readonly maybeLogged?: boolean;
}

/** An append waiting for the log's connection. */
interface QueuedAppend {
  readonly envelopes: readonly AppendedEnvelope[];
  readonly resolve: (rows: LoggedEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * What SQLite's index by correlation id keeps of it: its last 8 bytes (a compact id's, or a text id's last 8
 * characters). A read names the very same expression, so SQLite searches the index by it.
 */
const CORRELATION_KEY = sql`substr(correlation_id, -8)`;

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
  "0002_event_type_codes": eventTypeCodesMigration,
  "0003_compact_ids": {
    // The ids a log written before holds as text, rewritten as the log keeps them now: a relay that appends again
    // after the upgrade must still find its event under its id. Their envelopes stay as they are (text or format 1).
    async up(db) {
      const log = db.withTables<Pick<LogTables, "event_log">>();
      const rewrite = async (trx: typeof log) => {
        for (let after = 0; ; ) {
          const rows = await trx
            .selectFrom("event_log")
            .select(["seq", "event_id", "correlation_id"])
            .where("seq", ">", after)
            .orderBy("seq")
            .limit(1000)
            .execute();
          for (const row of rows) {
            const eventId = keptId(idText(row.event_id));
            const correlationId = keptId(idText(row.correlation_id));
            if (eventId !== row.event_id || correlationId !== row.correlation_id)
              await trx
                .updateTable("event_log")
                .set({ event_id: eventId, correlation_id: correlationId })
                .where("seq", "=", row.seq)
                .execute();
          }
          const last = rows.at(-1);
          if (!last) break;
          after = last.seq;
        }
      };
      // In the migrator's transaction, on both dialects (sqlite-store.ts `migrate`).
      await rewrite(log);
    },
  },
  "0004_indexes_without_seq": {
    // Every entry of a SQLite index ends with its row's rowid, which seq is: (type_code, seq) kept seq twice in each
    // entry (3 to 5 bytes of the ~20 an entry of the type index takes). An index of the one column orders its entries
    // by (column, rowid) all the same, and the log's reads search it as before (`type_code = ? and rowid > ?`).
    // PostgreSQL's entries end with a tuple id instead, not seq: its two-column indexes stay.
    async up(db) {
      if (dialectOf(db) === "postgres") return;
      for (const [index, column] of [
        ["event_log_by_type", "type_code"],
        ["event_log_by_correlation", "correlation_id"],
      ] as const) {
        await db.schema.dropIndex(index).execute();
        await db.schema.createIndex(index).on("event_log").column(column).execute();
      }
    },
  },
  "0005_producers_by_type": producersByTypeMigration,
  "0006_correlation_index_by_suffix": {
    // The index by correlation id keeps the id's last 8 bytes ({@link CORRELATION_KEY}), not its 19 (or its text): a
    // platform-made id ends with 10 random bytes, so 8 of them tell ids apart as well, and the read compares the whole
    // id in the row it finds. About 11 bytes less in each of a checkout's ~14 entries. PostgreSQL's log keeps its index.
    async up(db) {
      if (dialectOf(db) === "postgres") return;
      await db.schema.dropIndex("event_log_by_correlation").execute();
      await sql`create index event_log_by_correlation on event_log (${CORRELATION_KEY})`.execute(db);
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
  readonly #insertRow: PreparedStatement<unknown>;
  readonly #loggedAs: PreparedStatement<Selectable<LogTables["event_log"]>>;
  readonly #insertType: PreparedStatement<unknown>;
  readonly #reads = new Map<string, PreparedStatement<Selectable<LogTables["event_log"]>>>();
  // Every event is read soon after it is appended, by each of its subscribers: the newest are answered from memory,
  // without a statement or unpacking their envelopes (kept packed, a quarter of their size).
  readonly #tail: EventLogTail;
  /** Appends waiting for the connection, in the order they were asked for. */
  readonly #queued: QueuedAppend[] = [];

  private constructor(
    private readonly store: SqliteStore<LogTables>,
    private readonly db: Kysely<LogTables>,
    private readonly types: EventTypeCodes,
    lastSeq: number,
  ) {
    super();
    this.setMaxListeners(0);
    this.#tail = new EventLogTail(lastSeq);
    this.#insertRow = store.prepare(
      db
        .insertInto("event_log")
        .values({ event_id: "event_id", type_code: 0, producer: "producer", correlation_id: "id", envelope: "" })
        // Its seq is the rowid SQLite gave it: no RETURNING clause, which SQLite buffers through a table of its own.
        .onConflict((conflict) => conflict.column("event_id").doNothing()),
      ["event_id", 0, "producer", "id", ""],
    );
    this.#insertType = store.prepare(
      db.insertInto("event_types").values({ code: 0, event_type: "event_type", producer: "producer" }),
      [0, "event_type", "producer"],
    );
    this.#loggedAs = store.prepare(db.selectFrom("event_log").selectAll().where("event_id", "=", "event_id"), [
      "event_id",
    ]);
  }

  /** Open (and create or migrate) the log in `file`, or an in-memory copy of a serialized one. */
  static async open(file: string | Buffer): Promise<EventLog> {
    const store = openSqliteStore<LogTables>(file);
    await migrate(store.db, eventLogMigrations, { label: "the event log", table: "_migrations" });
    const types = await store.db.selectFrom("event_types").selectAll().execute();
    const last = await store.db
      .selectFrom("event_log")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .executeTakeFirst();
    return new EventLog(store, store.db, new EventTypeCodes(types), Number(last?.seq ?? 0));
  }

  /**
   * Append envelopes (JSON text) in order; ones already in the log are skipped. Emits `appended` with the new ones.
   * Appends asked for while the log's connection is busy are written together when it is free, in the order they
   * were asked for, in one transaction (a group commit: every context's relay appends here, and a commit costs more
   * than the few inserts it holds). When one of them is refused, each is written again in a transaction of its own,
   * so it fails alone.
   */
  append(envelopes: readonly AppendedEnvelope[]): Promise<LoggedEvent[]> {
    if (envelopes.length === 0) return Promise.resolve([]);
    return new Promise<LoggedEvent[]>((resolve, reject) => {
      this.#queued.push({ envelopes, resolve, reject });
      // The first append queued asks for the connection on the next turn of the event loop: the relays of the
      // transactions that commit in this turn (requests served side by side) join it until it is granted.
      if (this.#queued.length === 1) setImmediate(() => void this.#writeQueued());
    });
  }

  async #writeQueued(): Promise<void> {
    let batch: QueuedAppend[] = [];
    try {
      const rows = await this.#inTransaction(() => {
        batch = this.#queued.splice(0);
        return batch.map((group) => this.#insert(group.envelopes));
      });
      this.#appended(batch, rows);
      return;
    } catch (error) {
      // The store failed before the batch was taken: every queued append fails with it.
      if (batch.length === 0) batch = this.#queued.splice(0);
      if (batch.length === 1) {
        for (const group of batch) group.reject(error);
        return;
      }
    }
    for (const group of batch) {
      try {
        const rows = await this.#inTransaction(() => this.#insert(group.envelopes));
        this.#appended([group], [rows]);
      } catch (error) {
        group.reject(error);
      }
    }
  }

  /** Run `work` in a transaction; type codes it gave are taken back if it throws (and the transaction rolls back). */
  #inTransaction<TResult>(work: () => TResult): Promise<TResult> {
    return this.store.exclusive(
      () => {
        try {
          const result = work();
          this.types.committed();
          return result;
        } catch (error) {
          this.types.forgetUncommitted();
          throw error;
        }
      },
      { transaction: true },
    );
  }

  /** Insert `envelopes` (inside the append's transaction); resolves to the rows new to the log. */
  #insert(envelopes: readonly AppendedEnvelope[]): LoggedEvent[] {
    const rows: LoggedEvent[] = [];
    for (const entry of envelopes) {
      const eventId = keptId(entry.eventId);
      // Looked up first: a refused insert would still use up a seq (the table's AUTOINCREMENT counts it), and a
      // relay's read of its outbox finds an event logged before each time it starts (outbox-relay.ts).
      if (entry.maybeLogged && this.#isLogged(eventId, entry)) continue;
      const typeCode = this.types.codeFor(entry.eventType, entry.producer, (code, eventType, producer) =>
        this.#insertType.run(code, eventType, producer),
      );
      const seq = this.#insertRow.insertIfNew(
        eventId,
        typeCode,
        this.types.keptProducer(typeCode, entry.producer),
        keptId(entry.correlationId),
        entry.packed ?? packedEnvelope(entry),
      );
      if (seq !== undefined) {
        const { eventId, eventType, producer, correlationId, envelope } = entry;
        rows.push({ seq, eventId, eventType, producer, correlationId, envelope });
        continue;
      }
      this.#isLogged(eventId, entry);
    }
    return rows;
  }

  /**
   * Whether the log holds `entry` under its id (kept as `eventId`). Already logged, it is the very same envelope (a
   * relay that appends again sends it as it was); another envelope under a logged id means ids were made twice, and
   * dropping the event silently would lose it, so this fails loudly.
   */
  #isLogged(eventId: string | Buffer, entry: AppendedEnvelope): boolean {
    const [logged] = this.#loggedAs.all(eventId);
    if (!logged) return false;
    if (loggedEnvelope(this.#withProducer(logged)) !== entry.envelope) {
      throw new Error(
        `event id ${entry.eventId} is already in the log with another event; refusing to drop ${entry.eventType}`,
      );
    }
    return true;
  }

  /** After the commit: remember the new envelopes, tell the listeners (once for the batch), answer each append. */
  #appended(batch: readonly QueuedAppend[], rows: readonly LoggedEvent[][]): void {
    const all = rows.flat();
    this.#tail.add(all);
    if (all.length > 0) this.emit("appended", all);
    for (const [index, group] of batch.entries()) group.resolve(rows[index] ?? []);
  }

  /** Events after `afterSeq` in log order, optionally only of some types; at most `limit`. */
  async read(options: {
    readonly afterSeq: number;
    readonly types?: readonly string[];
    readonly correlationId?: string;
    readonly limit?: number;
  }): Promise<LoggedEvent[]> {
    const { afterSeq } = options;
    const limit = options.limit ?? 1000;
    if (options.correlationId === undefined) {
      const recent = this.#tail.read(afterSeq, options.types, limit);
      if (recent) return recent;
    }
    const correlationId = options.correlationId === undefined ? undefined : keptId(options.correlationId);
    const types = options.types && this.#codesOf(options.types);
    if (types?.length === 0) return [];
    // The correlation id twice: searched by its index's key, then compared whole.
    const byCorrelation = correlationId === undefined ? [] : [correlationId, correlationId];
    const parameters = [afterSeq, ...(types ?? []), ...byCorrelation, limit];
    // A dispatcher reads with the same types at every pass: one statement per shape (how many types, whether by
    // correlation id), compiled once; a handful of shapes in all.
    const shape = `${types?.length ?? "all"}:${correlationId !== undefined}`;
    let statement = this.#reads.get(shape);
    if (!statement) {
      let query = this.db.selectFrom("event_log").selectAll().where("seq", ">", afterSeq);
      if (types) query = query.where("type_code", "in", types);
      if (correlationId !== undefined)
        query = query
          .where(CORRELATION_KEY, "=", sql`substr(${correlationId}, -8)`)
          .where("correlation_id", "=", correlationId);
      statement = this.store.prepare(query.orderBy("seq").limit(limit), parameters);
      this.#reads.set(shape, statement);
    }
    const prepared = statement;
    const rows = await this.store.exclusive(() => prepared.all(...parameters));
    return rows.map((row) => {
      const eventId = idText(row.event_id);
      const correlationId = idText(row.correlation_id);
      const producer = this.types.producerOf(row.type_code, row.producer);
      return {
        seq: row.seq,
        eventId,
        eventType: this.types.nameOf(row.type_code),
        producer,
        correlationId,
        envelope: this.#tail.get(row.seq)?.envelope ?? unpackedEnvelope(row.envelope, eventId, producer, correlationId),
      };
    });
  }

  /** A row with its producer's name, where it kept the empty text for its type's producer. */
  #withProducer<TRow extends { readonly type_code: number; readonly producer: string }>(row: TRow): TRow {
    return row.producer === "" ? { ...row, producer: this.types.producerOf(row.type_code, "") } : row;
  }

  /** The codes of those of `types` the log holds any of (a type it holds none of matches no row). */
  #codesOf(types: readonly string[]): number[] {
    const codes: number[] = [];
    for (const type of types) {
      const code = this.types.codeOf(type);
      if (code !== undefined) codes.push(code);
    }
    return codes;
  }

  /** How many events up to `upToSeq` (inclusive) the log holds of `types`. */
  async count(options: { readonly upToSeq: number; readonly types: readonly string[] }): Promise<number> {
    const types = this.#codesOf(options.types);
    if (types.length === 0) return 0;
    const row = await this.db
      .selectFrom("event_log")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("seq", "<=", options.upToSeq)
      .where("type_code", "in", types)
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
    const types = this.#codesOf(options.types);
    if (types.length === 0) return 0;
    const row = await this.db
      .selectFrom((eb) =>
        eb
          .selectFrom("event_log")
          .select("seq")
          .where("seq", ">", options.afterSeq)
          .where("type_code", "in", types)
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
