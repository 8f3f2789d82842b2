import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { createSqlTrace } from "./sql-trace.js";
import { createStatementCache } from "./statement-cache.js";

describe("the SQL trace", () => {
  let database: Database.Database;
  afterEach(() => {
    if (database.open) database.close();
  });

  it("counts each run of each statement by store, and the writes that were a transaction of their own", async () => {
    database = new Database(":memory:");
    const trace = createSqlTrace();
    const db = new Kysely<{ t: { id: number } }>({
      dialect: new SqliteDialect({ database: createStatementCache(database, { trace: { trace, store: "s" } }) }),
    });
    await db.schema.createTable("t").addColumn("id", "integer").execute();
    trace.reset();
    await db.insertInto("t").values({ id: 1 }).execute();
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 2 }).execute();
      await trx.insertInto("t").values({ id: 3 }).execute();
    });
    await db.selectFrom("t").select("id").execute();

    const time = expect.any(Number);
    expect(trace.entries()).toEqual([
      { store: "s", sql: 'insert into "t" ("id") values (?)', runs: 3, autocommitWrites: 1, micros: time },
      { store: "s", sql: "begin", runs: 1, autocommitWrites: 0, micros: time },
      { store: "s", sql: "commit", runs: 1, autocommitWrites: 0, micros: time },
      { store: "s", sql: 'select "id" from "t"', runs: 1, autocommitWrites: 0, micros: time },
    ]);
    // Time inside SQLite is summed over the runs: never negative, and some for three inserts.
    expect(trace.entries()[0]?.micros).toBeGreaterThan(0);
    trace.reset();
    expect(trace.entries()).toEqual([]);
  });

  it("counts a write that returns rows (update … returning), which better-sqlite3 calls a reader, as a write", async () => {
    database = new Database(":memory:");
    const trace = createSqlTrace();
    const db = new Kysely<{ t: { id: number; n: number } }>({
      dialect: new SqliteDialect({ database: createStatementCache(database, { trace: { trace, store: "s" } }) }),
    });
    await db.schema.createTable("t").addColumn("id", "integer").addColumn("n", "integer").execute();
    await db.insertInto("t").values({ id: 1, n: 0 }).execute();
    trace.reset();
    await db.updateTable("t").set({ n: 1 }).where("id", "=", 1).returningAll().execute();
    await db.transaction().execute(async (trx) => {
      await trx.updateTable("t").set({ n: 2 }).where("id", "=", 1).returningAll().execute();
    });

    const returning = trace.entries().find((entry) => entry.sql.startsWith("update"));
    expect(returning).toMatchObject({ runs: 2, autocommitWrites: 1 });
  });
});
