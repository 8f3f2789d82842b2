import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore, type SqliteStore } from "./sqlite-store.js";

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
