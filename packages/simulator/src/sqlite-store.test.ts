import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Kysely } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { stampIdentity } from "./data-folder/store-inspection.js";
import { migrate, openSqliteStore, PAGE_SIZE, type SqliteStore } from "./sqlite-store.js";

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

describe("a store's page size", () => {
  let folder: string;
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const pageSize = (file: string) => {
    const database = new Database(file, { readonly: true });
    try {
      return database.pragma("page_size", { simple: true });
    } finally {
      database.close();
    }
  };

  it("is PAGE_SIZE for a store made now, by the store or by the data folder's stamp", async () => {
    folder = mkdtempSync(join(tmpdir(), "ecom-page-"));
    const store = openSqliteStore<Tables>(join(folder, "new.db"));
    await store.db.schema.createTable("t").addColumn("id", "integer").addColumn("name", "text").execute();
    await store.close();
    stampIdentity(join(folder, "stamped.db"), { folderId: "fld_1", store: "stamped" });
    expect([pageSize(join(folder, "new.db")), pageSize(join(folder, "stamped.db"))]).toEqual([PAGE_SIZE, PAGE_SIZE]);
  });

  it("stays what it was for a store made before with SQLite's default, which opens and works as before", async () => {
    folder = mkdtempSync(join(tmpdir(), "ecom-page-"));
    const file = join(folder, "old.db");
    const old = new Database(file);
    old.pragma("journal_mode = WAL");
    old.exec("create table t (id integer, name text)");
    old.prepare("insert into t (id, name) values (?, ?)").run(1, "x".repeat(5000));
    old.close();
    expect(pageSize(file)).toBe(4096);

    const store = openSqliteStore<Tables>(file);
    await store.db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 2, name: "two" }).execute();
    });
    expect(await store.db.selectFrom("t").select("id").orderBy("id").execute()).toEqual([{ id: 1 }, { id: 2 }]);
    store.checkpoint();
    await store.close();
    expect(pageSize(file)).toBe(4096);
    const reopened = new Database(file, { readonly: true });
    expect(reopened.pragma("integrity_check", { simple: true })).toBe("ok");
    reopened.close();
  });
});
