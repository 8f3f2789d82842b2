import { type CompiledStatement, compileQuery, type Param } from "@ecom/services/platform";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RuntimeTables, runtimeMigrations } from "../../packages/simulator/src/sqlite-store.js";
import { describeBackends } from "./backends.js";
import { type ContextStore, openContextStore } from "./context-store.js";
import { createTestDatabase, type TestDatabase } from "./test-database.js";

// A statement compiled once runs through whatever it is given (the store, or a transaction of it) on both dialects:
// the runtime's outbox, relay and cursor statements and the contexts' hottest ones use it on SQLite and PostgreSQL.

describeBackends("a query compiled once", (backend) => {
  let database: TestDatabase | undefined;
  let store: ContextStore<RuntimeTables>;
  let db: Kysely<RuntimeTables>;
  let insert: CompiledStatement<{ eventId: string; envelope: string }, unknown>;
  let after: CompiledStatement<{ seq: number }, { seq: number; event_id: string }>;
  let advance: CompiledStatement<{ seq: number; previous: number }, unknown>;

  beforeAll(async () => {
    if (backend.kind === "postgres+nats") database = await createTestDatabase();
    store = await openContextStore<RuntimeTables>(
      backend,
      { name: "compiled", migrations: runtimeMigrations },
      database,
    );
    db = store.db;
    insert = compileQuery((param: Param<{ eventId: string; envelope: string }>) =>
      db.insertInto("_outbox").values({ event_id: param("eventId"), envelope: param("envelope") }),
    );
    // The batch size (2) is written as it is: bound again at every run.
    after = compileQuery((param: Param<{ seq: number }>) =>
      db.selectFrom("_outbox").select(["seq", "event_id"]).where("seq", ">", param("seq")).orderBy("seq").limit(2),
    );
    advance = compileQuery((param: Param<{ seq: number; previous: number }>) =>
      db
        .updateTable("_cursor")
        .set({ seq: param("seq") })
        .where("name", "=", "subscriptions")
        .where("seq", "=", param("previous")),
    );
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it("runs its SQL with each call's values, on the store and inside a transaction, whose rollback undoes it", async () => {
    await insert.execute(db, { eventId: "evt_1", envelope: "{}" });
    await db.transaction().execute(async (trx) => {
      await insert.execute(trx, { eventId: "evt_2", envelope: "{}" });
      await insert.execute(trx, { eventId: "evt_3", envelope: "{}" });
    });
    await expect(
      db.transaction().execute(async (trx) => {
        await insert.execute(trx, { eventId: "evt_4", envelope: "{}" });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");

    const first = await after.execute(db, { seq: 0 });
    expect(first.map((row) => row.event_id)).toEqual(["evt_1", "evt_2"]);
    const rest = await after.execute(db, { seq: Number(first[1]!.seq) });
    expect(rest.map((row) => row.event_id)).toEqual(["evt_3"]);
    expect(await after.executeTakeFirst(db, { seq: Number(rest[0]!.seq) })).toBeUndefined();
  });

  it("says how many rows a write changed, as a claim by version reads it", async () => {
    await db.insertInto("_cursor").values({ name: "subscriptions", seq: 1 }).execute();
    expect(await advance.executeChanges(db, { seq: 5, previous: 1 })).toBe(1n);
    // Moved meanwhile: the same claim changes nothing.
    expect(await advance.executeChanges(db, { seq: 6, previous: 1 })).toBe(0n);
    expect(await db.selectFrom("_cursor").select("seq").executeTakeFirstOrThrow()).toEqual({ seq: 5 });
  });
});
