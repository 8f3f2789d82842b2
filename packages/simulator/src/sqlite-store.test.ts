import type { Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, openSqliteStore, type SqliteStore } from "./sqlite-store.js";

interface Tables {
  t: { id: number; name: string };
}

describe("a store's prepared statements", () => {
  let store: SqliteStore<Tables>;
  afterEach(async () => {
    await store.close();
  });

  async function open() {
    store = openSqliteStore<Tables>(":memory:");
    await store.db.schema.createTable("t").addColumn("id", "integer").addColumn("name", "text").execute();
    return store;
  }

  it("run the query Kysely compiled once with each run's parameters, typed by the query", async () => {
    const { db } = await open();
    const insert = store.prepare(db.insertInto("t").values({ id: 0, name: "name" }), [0, "name"]);
    const byId = store.prepare(db.selectFrom("t").select("name").where("id", "=", 0), [0]);
    await store.exclusive(() => {
      insert.run(1, "one");
      insert.run(2, "two");
    });
    const [row] = await store.exclusive(() => byId.all(2));
    expect(row?.name).toBe("two");
  });

  it("refuse parameters that are not the ones the query binds, in its order", async () => {
    const { db } = await open();
    expect(() => store.prepare(db.insertInto("t").values({ id: 0, name: "name" }), ["name", 0])).toThrow(
      /its parameters are \[0,"name"\]/,
    );
  });

  it("keep nothing of a transaction whose work throws", async () => {
    const { db } = await open();
    const insert = store.prepare(db.insertInto("t").values({ id: 0, name: "name" }), [0, "name"]);
    await expect(
      store.exclusive(
        () => {
          insert.run(1, "one");
          throw new Error("refused");
        },
        { transaction: true },
      ),
    ).rejects.toThrow("refused");
    expect(await db.selectFrom("t").selectAll().execute()).toEqual([]);
  });
});

describe("a store's migrations", () => {
  const addColumn = (name: string) => ({
    // biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema as it was then.
    async up(db: Kysely<any>) {
      await db.schema.alterTable("t").addColumn(name, "text").execute();
    },
  });
  const failing = {
    // biome-ignore lint/suspicious/noExplicitAny: a migration sees the schema as it was then.
    async up(db: Kysely<any>) {
      await db.schema.alterTable("t").addColumn("half", "text").execute();
      throw new Error("killed half way");
    },
  };

  it("land all at once or not at all: a migration that stops half way leaves nothing, and the next start applies it", async () => {
    const store = openSqliteStore<Tables>(":memory:");
    try {
      await store.db.schema.createTable("t").addColumn("id", "integer").execute();
      await expect(
        migrate(store.db, { "0001_a": addColumn("a"), "0002_half": failing }, { label: "t", table: "_migrations" }),
      ).rejects.toThrow(/migration 0002_half of t failed: killed half way/);
      const columns = async () => (await store.db.introspection.getTables()).find((table) => table.name === "t");
      // Neither the first migration's column nor the second's half: the whole pending run was rolled back.
      expect((await columns())?.columns.map((column) => column.name)).toEqual(["id"]);
      await migrate(
        store.db,
        { "0001_a": addColumn("a"), "0002_half": addColumn("half") },
        { label: "t", table: "_migrations" },
      );
      expect((await columns())?.columns.map((column) => column.name)).toEqual(["id", "a", "half"]);
    } finally {
      await store.close();
    }
  });
});
