import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "./sqlite-store.js";

describe("the outbox rebuilt without its index on event_id", () => {
  let store: SqliteStore<RuntimeTables>;
  afterEach(() => store.close());

  const upTo = async (withRebuild: boolean) => {
    expect(runtimeMigrations["0002_outbox_without_event_id_index"]).toBeDefined();
    // The migrations before the rebuild: what a store made then holds.
    const before = Object.fromEntries(Object.entries(runtimeMigrations).filter(([name]) => name < "0002"));
    await migrate(store.db, withRebuild ? runtimeMigrations : before, { label: "runtime", table: "_migrations" });
  };
  const insert = async (eventId: string) =>
    (
      await store.db
        .insertInto("_outbox")
        .values({ event_id: eventId, envelope: "{}" })
        .returning("seq")
        .executeTakeFirstOrThrow()
    ).seq;

  it("keeps the rows written before with their seq, and never gives a seq the table gave before", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo(false);
    for (const eventId of ["evt_1", "evt_2", "evt_3", "evt_4"]) await insert(eventId);
    // The newest rows deleted (relayed and cleared): their numbers were given all the same.
    await store.db.deleteFrom("_outbox").where("seq", "in", [1, 4]).execute();
    await upTo(true);
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

  it("carries no numbering over from a table that never held a row", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo(true);
    expect(await insert("evt_1")).toBe(1);
  });

  it("adds the correlation id packed envelopes are read against, beside rows written before it as text", async () => {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await upTo(false);
    await insert("evt_1");
    await upTo(true);
    expect(await store.db.selectFrom("_outbox").selectAll().execute()).toEqual([
      { seq: 1, event_id: "evt_1", envelope: "{}", correlation_id: null },
    ]);
  });
});
