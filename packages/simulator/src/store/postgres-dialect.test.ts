import { type Generated, Kysely, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestDatabase, type TestDatabase } from "../../../../tests/backends/test-database.js";
import { createStoreDialect, createStorePool, storePoolSize } from "./postgres-dialect.js";

interface Tables {
  counters: { seq: Generated<number>; name: string; ratio: number | null; amount: number };
}

describePostgresNats("the store's PostgreSQL dialect", () => {
  let database: TestDatabase;
  let db: Kysely<Tables>;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = new Kysely<Tables>({ dialect: createStoreDialect(createStorePool({ url: database.url, max: 2 })) });
    // As the contexts' migrations write it, for SQLite first.
    await db.schema
      .createTable("counters")
      .addColumn("seq", "integer", (column) => column.primaryKey().autoIncrement())
      .addColumn("name", "text", (column) => column.notNull().unique())
      .addColumn("ratio", "real")
      .addColumn("amount", "integer", (column) => column.notNull())
      .execute();
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it("makes autoIncrement() an identity column that numbers inserted rows", async () => {
    const first = await db.insertInto("counters").values({ name: "a", amount: 1 }).returning("seq").executeTakeFirst();
    const second = await db.insertInto("counters").values({ name: "b", amount: 2 }).returning("seq").executeTakeFirst();
    expect(first?.seq).toBe(1);
    expect(second?.seq).toBe(2);
    const { rows } = await sql<{ is_identity: string }>`
      select is_identity from information_schema.columns where table_name = 'counters' and column_name = 'seq'
    `.execute(db);
    expect(rows[0]?.is_identity).toBe("YES");
  });

  it("makes a real column double precision, so a ratio reads back as written", async () => {
    await db
      .insertInto("counters")
      .values({ name: "third", ratio: 13 / 3, amount: 3 })
      .execute();
    const row = await db.selectFrom("counters").select("ratio").where("name", "=", "third").executeTakeFirstOrThrow();
    expect(row.ratio).toBe(13 / 3);
    const { rows } = await sql<{ data_type: string }>`
      select data_type from information_schema.columns where table_name = 'counters' and column_name = 'ratio'
    `.execute(db);
    expect(rows[0]?.data_type).toBe("double precision");
  });

  it("reads count(*) (int8) and sum() (numeric) as numbers", async () => {
    await db
      .insertInto("counters")
      .values({ name: "counted", amount: 40 })
      .onConflict((c) => c.doNothing())
      .execute();
    const row = await db
      .selectFrom("counters")
      .select((eb) => [eb.fn.countAll<number>().as("count"), eb.fn.sum<number>("amount").as("total")])
      .executeTakeFirstOrThrow();
    expect(typeof row.count).toBe("number");
    expect(typeof row.total).toBe("number");
    const { rows } = await sql<{
      big: number;
      exact: number;
    }>`select 9007199254740991::int8 as big, 2.5::numeric as exact`.execute(db);
    expect(rows[0]).toEqual({ big: 9007199254740991, exact: 2.5 });
  });

  it("reports changed rows as bigint, as the services' `=== 1n` checks expect", async () => {
    const updated = await db.updateTable("counters").set({ amount: 5 }).where("name", "=", "a").executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
    const ignored = await db
      .insertInto("counters")
      .values({ name: "a", amount: 9 })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .executeTakeFirst();
    expect(ignored.numInsertedOrUpdatedRows).toBe(0n);
  });

  it("leaves pg's global type parsers alone", () => {
    expect(pg.types.getTypeParser(20, "text")("7")).toBe("7");
    expect(pg.types.getTypeParser(1700, "text")("7.5")).toBe("7.5");
  });
});

describe("the store pool's size", () => {
  it("is ECOM_STORE_POOL when a positive integer, else 4", () => {
    expect(storePoolSize({ ECOM_STORE_POOL: "2" })).toBe(2);
    expect(storePoolSize({})).toBe(4);
    expect(storePoolSize({ ECOM_STORE_POOL: "0" })).toBe(4);
    expect(storePoolSize({ ECOM_STORE_POOL: "many" })).toBe(4);
  });
});
