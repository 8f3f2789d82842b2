import Database from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createStatementCache } from "./statement-cache.js";

describe("the statement cache", () => {
  let database: Database.Database;
  afterEach(() => {
    if (database.open) database.close();
  });

  it("prepares each SQL text once, however often Kysely runs it", async () => {
    database = new Database(":memory:");
    const prepare = vi.spyOn(database, "prepare");
    const db = new Kysely<{ t: { id: number } }>({
      dialect: new SqliteDialect({ database: createStatementCache(database) }),
    });
    await db.schema.createTable("t").addColumn("id", "integer").execute();
    prepare.mockClear();
    for (let id = 0; id < 20; id++) await db.insertInto("t").values({ id }).execute();
    const rows = await db.selectFrom("t").select("id").where("id", ">=", 10).execute();
    await db.selectFrom("t").select("id").where("id", ">=", 15).execute();
    expect(rows).toHaveLength(10);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it("keeps at most its capacity, dropping the least recently used", () => {
    database = new Database(":memory:");
    const cache = createStatementCache(database, { capacity: 2 });
    const first = cache.prepare("select 1");
    cache.prepare("select 2");
    expect(cache.prepare("select 1")).toBe(first);
    cache.prepare("select 3");
    expect(cache.size).toBe(2);
    expect(cache.prepare("select 1")).toBe(first);
    const prepare = vi.spyOn(database, "prepare");
    cache.prepare("select 2");
    expect(prepare).toHaveBeenCalledOnce();
  });

  it("gives a statement that is still iterating to nobody else", () => {
    database = new Database(":memory:");
    database.exec("create table t (id integer); insert into t values (1), (2);");
    const cache = createStatementCache(database);
    const sql = "select id from t";
    const iterator = cache.prepare(sql).iterate([]);
    iterator.next();
    expect(cache.prepare(sql).all([])).toEqual([{ id: 1 }, { id: 2 }]);
    iterator.return?.();
  });

  it("closes the database with itself", () => {
    database = new Database(":memory:");
    const cache = createStatementCache(database);
    cache.prepare("select 1");
    cache.close();
    expect(database.open).toBe(false);
    expect(cache.size).toBe(0);
  });
});
