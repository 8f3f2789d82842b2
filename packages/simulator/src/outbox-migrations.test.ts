import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "./sqlite-store.js";

describe("the outbox's migrations", () => {
  let store: SqliteStore<RuntimeTables>;
  afterEach(() => store.close());

  /** Migrate to the runtime migration numbered `last` (what a store made then holds). */
  const upTo = async (last: string) => {
    expect(Object.keys(runtimeMigrations).some((name) => name.startsWith(last))).toBe(true);
    const applied = Object.fromEntries(Object.entries(runtimeMigrations).filter(([name]) => name.slice(0, 4) <= last));
    await migrate(store.db, applied, { label: "runtime", table: "_migrations" });
  };
  const insert = async (eventId: string) =>
    (
      await store.db
        .insertInto("_outbox")
        .values({ event_id: eventId, envelope: "{}" })
        .returning("seq")
        .executeTakeFirstOrThrow()
    ).seq;

  it("0002 keeps the rows written before with their seq, and never gives a seq the table gave before", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo("0001");
    for (const eventId of ["evt_1", "evt_2", "evt_3", "evt_4"]) await insert(eventId);
    // The newest rows deleted (relayed and cleared): their numbers were given all the same.
    await store.db.deleteFrom("_outbox").where("seq", "in", [1, 4]).execute();
    await upTo("0002");
    expect(await store.db.selectFrom("_outbox").select(["seq", "event_id"]).orderBy("seq").execute()).toEqual([
      { seq: 2, event_id: "evt_2" },
      { seq: 3, event_id: "evt_3" },
    ]);
    await store.db.deleteFrom("_outbox").execute();
    expect(await insert("evt_5")).toBe(5);
    const { rows } = await sql<{ name: string; sql: string | null }>`select name, sql from sqlite_master
      where tbl_name = '_outbox'`.execute(store.db);
    expect(rows).toEqual([{ name: "_outbox", sql: expect.not.stringMatching(/unique/i) }]);
  });

  it("0002 carries no numbering over from a table that never held a row", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo("0002");
    expect(await insert("evt_1")).toBe(1);
  });

  it("0003 adds the correlation id packed envelopes are read against, beside rows written before as text", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo("0002");
    await insert("evt_1");
    await upTo("0003");
    expect(await store.db.selectFrom("_outbox").selectAll().execute()).toEqual([
      { seq: 1, event_id: "evt_1", envelope: "{}", correlation_id: null },
    ]);
  });

  it("0004 keeps the rows with their seq, numbers a new row one past the highest, and keeps no sqlite_sequence row", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo("0003");
    for (const eventId of ["evt_1", "evt_2", "evt_3"]) await insert(eventId);
    await store.db.deleteFrom("_outbox").where("seq", "<", 2).execute();
    await upTo("0004");
    expect(await store.db.selectFrom("_outbox").select(["seq", "event_id"]).orderBy("seq").execute()).toEqual([
      { seq: 2, event_id: "evt_2" },
      { seq: 3, event_id: "evt_3" },
    ]);
    expect(await insert("evt_4")).toBe(4);
    const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where name = '_outbox'`.execute(store.db);
    expect(rows[0]?.sql).not.toMatch(/autoincrement/i);
    const sequences = await sql`select * from sqlite_sequence where name = '_outbox'`.execute(store.db);
    expect(sequences.rows).toEqual([]);
  });
});
