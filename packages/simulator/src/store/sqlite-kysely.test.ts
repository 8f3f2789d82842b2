import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore, type SqliteStore } from "../sqlite-store.js";

interface Tables {
  t: { id: number };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe("a SQLite store's one connection", () => {
  let store: SqliteStore<Tables>;
  afterEach(async () => {
    await store.close();
  });

  async function open() {
    store = openSqliteStore<Tables>(":memory:");
    await store.db.schema
      .createTable("t")
      .addColumn("id", "integer", (column) => column.primaryKey())
      .execute();
    return store.db;
  }
  const ids = async () => (await store.db.selectFrom("t").select("id").orderBy("id").execute()).map((row) => row.id);

  it("runs two transactions one after the other, though each awaits between its statements", async () => {
    const db = await open();
    const seen: string[] = [];
    const transaction = (name: string, id: number) =>
      db.transaction().execute(async (trx) => {
        seen.push(`${name} begins, sees ${(await trx.selectFrom("t").select("id").execute()).length}`);
        await trx.insertInto("t").values({ id }).execute();
        await tick();
        await trx
          .insertInto("t")
          .values({ id: id + 1 })
          .execute();
        seen.push(`${name} commits`);
      });
    await Promise.all([transaction("a", 1), transaction("b", 3), transaction("c", 5)]);
    expect(seen).toEqual([
      "a begins, sees 0",
      "a commits",
      "b begins, sees 2",
      "b commits",
      "c begins, sees 4",
      "c commits",
    ]);
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("holds a statement outside a transaction until the open one ends, so it never lands in it", async () => {
    const db = await open();
    let outside: Promise<unknown> | undefined;
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ id: 1 }).execute();
        outside = db.insertInto("t").values({ id: 9 }).execute();
        await tick();
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    await outside;
    expect(await ids()).toEqual([9]);
  });

  it("holds exclusive() work until the open transaction ends", async () => {
    const db = await open();
    const count = store.prepare(
      db.selectFrom("t").select((eb) => eb.fn.countAll<number>().as("n")),
      [],
    );
    let counted: Promise<{ n: number }[]> | undefined;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 1 }).execute();
      counted = store.exclusive(() => count.all());
      await tick();
      await trx.insertInto("t").values({ id: 2 }).execute();
    });
    expect(await counted).toEqual([{ n: 2 }]);
  });

  it("refuses a statement of a transaction that has ended", async () => {
    const db = await open();
    const committed = await db.transaction().execute(async (trx) => trx);
    await expect(committed.insertInto("t").values({ id: 1 }).execute()).rejects.toThrow(
      "Transaction is already committed",
    );
    let rolledBack: typeof committed | undefined;
    await expect(
      db.transaction().execute(async (trx) => {
        rolledBack = trx;
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    await expect(rolledBack!.selectFrom("t").selectAll().execute()).rejects.toThrow(
      "Transaction is already rolled back",
    );
    expect(await ids()).toEqual([]);
  });

  it("rolls back a transaction whose commit SQLite refuses, and goes on with the next", async () => {
    const db = await open();
    await sql`create table child (parent integer references t (id) deferrable initially deferred)`.execute(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ id: 1 }).execute();
        // Checked at the commit only: the commit fails and leaves the transaction open, to be rolled back.
        await sql`insert into child (parent) values (2)`.execute(trx);
      }),
    ).rejects.toThrow(/FOREIGN KEY constraint failed/);
    expect(await ids()).toEqual([]);
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 2 }).execute();
    });
    expect(await ids()).toEqual([2]);
  });

  it("lets a controlled transaction take the same lock", async () => {
    const db = await open();
    const controlled = await db.startTransaction().execute();
    await controlled.insertInto("t").values({ id: 1 }).execute();
    const outside = db.insertInto("t").values({ id: 9 }).execute();
    const saved = await controlled.savepoint("before_two").execute();
    await saved.insertInto("t").values({ id: 2 }).execute();
    await saved.rollbackToSavepoint("before_two").execute();
    await controlled.rollback().execute();
    await outside;
    expect(await ids()).toEqual([9]);
  });
});
