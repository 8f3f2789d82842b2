import { type Kysely, type Migration, sql } from "kysely";

/**
 * The log keeps an event's type as a small integer code (the `event_types` table names each), not as its name in
 * every row and in the index by type: a name is about 33 bytes, and about 60 distinct types ever occur. This
 * migration moves a log written before onto codes, numbered in the order the types first occur. Portable, so it
 * runs on PostgreSQL too.
 */
export const eventTypeCodesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("event_types")
      .addColumn("code", "integer", (column) => column.primaryKey())
      .addColumn("event_type", "text", (column) => column.notNull().unique())
      .execute();
    await db.schema
      .alterTable("event_log")
      .addColumn("type_code", "integer", (column) => column.notNull().defaultTo(0))
      .execute();
    const { rows } = await sql<{ event_type: string }>`select event_type from event_log
      group by event_type order by min(seq)`.execute(db);
    for (const [index, { event_type }] of rows.entries()) {
      const code = index + 1;
      await sql`insert into event_types (code, event_type) values (${code}, ${event_type})`.execute(db);
      await sql`update event_log set type_code = ${code} where event_type = ${event_type}`.execute(db);
    }
    await db.schema.dropIndex("event_log_by_type").execute();
    await db.schema.alterTable("event_log").dropColumn("event_type").execute();
    await db.schema.createIndex("event_log_by_type").on("event_log").columns(["type_code", "seq"]).execute();
  },
};

/**
 * The log keeps an event's producer once per type, in `event_types`, where each row kept its name (about 7 bytes of
 * every row): an event's row keeps its producer only when another context than its type's produced it (a command,
 * which any context may send), and the empty text otherwise ({@link EventTypeCodes.keptProducer}). A type's producer
 * is the one its first event names; rows written before keep their producer's name, and read as they did. Portable,
 * so it runs on PostgreSQL too.
 */
export const producersByTypeMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("event_types").addColumn("producer", "text").execute();
    // One lookup by the index on the type per type.
    await sql`update event_types set producer = (select producer from event_log
      where event_log.type_code = event_types.code order by seq limit 1)`.execute(db);
  },
};

/** A row of `event_types`: its producer is null for a type the log held no event of when it was migrated. */
export interface EventTypeRow {
  readonly code: number;
  readonly event_type: string;
  readonly producer?: string | null;
}

/**
 * The codes of the event types the log holds, both ways, and each type's producer, kept in memory (read once at
 * open). A type new to the log gets the next code, written in the append's transaction
 * ({@link EventTypeCodes.codeFor}); if that transaction rolls back, {@link EventTypeCodes.forgetUncommitted} takes
 * back what it gave.
 */
export class EventTypeCodes {
  readonly #codes = new Map<string, number>();
  readonly #names = new Map<number, string>();
  readonly #producers = new Map<number, string>();
  /** Types given a code since the last {@link EventTypeCodes.committed}. */
  readonly #uncommitted: string[] = [];

  constructor(rows: readonly EventTypeRow[]) {
    for (const row of rows) this.#remember(row.event_type, row.code, row.producer);
  }

  /** The code of `eventType`, or undefined when the log holds none of it. */
  codeOf(eventType: string): number | undefined {
    return this.#codes.get(eventType);
  }

  /**
   * The code of `eventType`; a new type is given the next code, and `producer` (its first event's) as its producer,
   * which `insert` writes (in the append's transaction).
   */
  codeFor(
    eventType: string,
    producer: string,
    insert: (code: number, eventType: string, producer: string) => void,
  ): number {
    const known = this.#codes.get(eventType);
    if (known !== undefined) return known;
    const code = Math.max(0, ...this.#names.keys()) + 1;
    insert(code, eventType, producer);
    this.#remember(eventType, code, producer);
    this.#uncommitted.push(eventType);
    return code;
  }

  /** What a row of type `code` keeps of its `producer`: the empty text when it is the type's producer. */
  keptProducer(code: number, producer: string): string {
    return this.#producers.get(code) === producer ? "" : producer;
  }

  /** The producer of a row of type `code` that kept `kept` ({@link EventTypeCodes.keptProducer}). */
  producerOf(code: number, kept: string): string {
    if (kept !== "") return kept;
    const producer = this.#producers.get(code);
    if (producer === undefined)
      throw new Error(
        `the event log holds an event of type code ${code} without its producer, which event_types lacks`,
      );
    return producer;
  }

  /** The name of the type `code` stands for. */
  nameOf(code: number): string {
    const name = this.#names.get(code);
    if (name === undefined)
      throw new Error(`the event log holds an event of type code ${code}, which event_types lacks`);
    return name;
  }

  /** The transaction that gave codes committed: they are the log's now. */
  committed(): void {
    this.#uncommitted.length = 0;
  }

  /** The transaction that gave codes rolled back: give them out again. */
  forgetUncommitted(): void {
    for (const eventType of this.#uncommitted.splice(0)) {
      const code = this.#codes.get(eventType);
      this.#codes.delete(eventType);
      if (code !== undefined) {
        this.#names.delete(code);
        this.#producers.delete(code);
      }
    }
  }

  #remember(eventType: string, code: number, producer: string | null | undefined): void {
    this.#codes.set(eventType, code);
    this.#names.set(code, eventType);
    if (producer) this.#producers.set(code, producer);
  }
}
