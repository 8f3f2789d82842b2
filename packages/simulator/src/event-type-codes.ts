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
 * The codes of the event types the log holds, both ways, kept in memory (read once at open). A type new to the log
 * gets the next code, written in the append's transaction ({@link EventTypeCodes.codeFor}); if that transaction
 * rolls back, {@link EventTypeCodes.forgetUncommitted} takes back what it gave.
 */
export class EventTypeCodes {
  readonly #codes = new Map<string, number>();
  readonly #names = new Map<number, string>();
  /** Types given a code since the last {@link EventTypeCodes.committed}. */
  readonly #uncommitted: string[] = [];

  constructor(rows: readonly { code: number; event_type: string }[]) {
    for (const row of rows) this.#remember(row.event_type, row.code);
  }

  /** The code of `eventType`, or undefined when the log holds none of it. */
  codeOf(eventType: string): number | undefined {
    return this.#codes.get(eventType);
  }

  /** The code of `eventType`; a new type is given the next code, which `insert` writes (in the append's transaction). */
  codeFor(eventType: string, insert: (code: number, eventType: string) => void): number {
    const known = this.#codes.get(eventType);
    if (known !== undefined) return known;
    const code = Math.max(0, ...this.#names.keys()) + 1;
    insert(code, eventType);
    this.#remember(eventType, code);
    this.#uncommitted.push(eventType);
    return code;
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
      if (code !== undefined) this.#names.delete(code);
    }
  }

  #remember(eventType: string, code: number): void {
    this.#codes.set(eventType, code);
    this.#names.set(code, eventType);
  }
}
