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
