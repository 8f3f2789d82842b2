import { dialectOf } from "@ecom/services/platform";
import { type Migration, sql } from "kysely";

/**
 * `_outbox` without its unique index on `event_id`: a b-tree more to write at every insert and every delete, one page
 * more for each publishing transaction to write, for a guard nothing needs (ids are made unique, and the event log
 * refuses a second event under one id, event-log.ts). On SQLite the table is rebuilt (a column's UNIQUE cannot be
 * dropped) with the same `seq`, still AUTOINCREMENT, its numbering carried over, so a `seq` is never given twice (the
 * embedded relay's mark relies on it, outbox-relay.ts); rows written before are copied as they are. On PostgreSQL the
 * constraint is dropped.
 */
export const outboxWithoutEventIdIndex: Migration = {
  async up(db) {
    if (dialectOf(db) === "postgres") {
      await sql`alter table "_outbox" drop constraint if exists "_outbox_event_id_key"`.execute(db);
      return;
    }
    await sql`create table "_outbox_rebuilt" ("seq" integer primary key autoincrement, "event_id" text not null,
      "envelope" text not null)`.execute(db);
    await sql`insert into "_outbox_rebuilt" ("seq", "event_id", "envelope")
      select "seq", "event_id", "envelope" from "_outbox"`.execute(db);
    await sql`delete from sqlite_sequence where name = '_outbox_rebuilt'`.execute(db);
    await sql`insert into sqlite_sequence (name, seq)
      select '_outbox_rebuilt', seq from sqlite_sequence where name = '_outbox'`.execute(db);
    await sql`drop table "_outbox"`.execute(db);
    await sql`alter table "_outbox_rebuilt" rename to "_outbox"`.execute(db);
  },
};

/**
 * `_outbox.correlation_id`, beside an envelope the embedded bus's outbox keeps packed as the event log keeps it
 * (outbox.ts): a packed envelope is read back against its event id, producer and correlation id, and the row kept
 * only the first. A packed envelope is a quarter of its text, so the few rows waiting for the relay share one page
 * instead of taking a page or two each (which every publishing transaction allocated, freed, and wrote to the free
 * list and the table's interior page for); and the log writes the outbox's bytes instead of packing them again.
 * Rows written before keep their text, and their correlation id stays null. SQLite only: the outbox of the
 * PostgreSQL stores is relayed to JetStream as text.
 */
export const outboxPackedEnvelopes: Migration = {
  async up(db) {
    if (dialectOf(db) === "postgres") return;
    await db.schema.alterTable("_outbox").addColumn("correlation_id", "blob").execute();
  },
};

/**
 * `_outbox` without AUTOINCREMENT: SQLite then kept the table's highest `seq` in `sqlite_sequence`, a row read and
 * written at every insert and one page more for each publishing transaction to write. A new row's `seq` is now one
 * past the highest the table holds, and the relay's mark stays below every new one because its row is never
 * deleted: the outbox and the relay delete the rows before it (outbox-relay.ts). A new process starts its mark at 0,
 * so numbers the table gave before the rows were deleted may come again, later, harmlessly. The rows are copied as
 * they are. SQLite only: PostgreSQL's identity column costs no such write.
 */
export const outboxWithoutAutoincrement: Migration = {
  async up(db) {
    if (dialectOf(db) === "postgres") return;
    await sql`create table "_outbox_rebuilt" ("seq" integer primary key, "event_id" text not null,
      "envelope" text not null, "correlation_id" blob)`.execute(db);
    await sql`insert into "_outbox_rebuilt" ("seq", "event_id", "envelope", "correlation_id")
      select "seq", "event_id", "envelope", "correlation_id" from "_outbox"`.execute(db);
    await sql`drop table "_outbox"`.execute(db);
    await sql`alter table "_outbox_rebuilt" rename to "_outbox"`.execute(db);
    await sql`delete from sqlite_sequence where name = '_outbox'`.execute(db);
  },
};
