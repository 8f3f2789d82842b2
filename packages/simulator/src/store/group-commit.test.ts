import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore, type SqliteStore } from "../sqlite-store.js";
import { afterCommit } from "./hooked-kysely.js";

interface Tables {
  t: { id: number };
}

describe("a store whose transactions commit in groups", () => {
  let folder: string;
  let file: string;
  let store: SqliteStore<Tables>;
  /** Another connection to the file: it sees only what has committed. */
  let observer: Database.Database;
  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), "ecom-group-commit-"));
    file = join(folder, "store.db");
    store = openSqliteStore<Tables>(file, { groupCommit: true });
    await store.db.schema
      .createTable("t")
      .addColumn("id", "integer", (column) => column.primaryKey())
      .execute();
    observer = new Database(file, { readonly: true });
  });
  afterEach(async () => {
    observer.close();
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  const committed = () => (observer.prepare("select id from t order by id").all() as { id: number }[]).map((r) => r.id);
  const insert = (id: number) =>
    store.db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id }).execute();
    });

  it("answers each transaction once it has committed, together with the others of its turn", async () => {
    const seen: number[][] = [];
    await Promise.all(
      [1, 2, 3].map((id) =>
        insert(id).then(() => {
          seen.push(committed());
        }),
      ),
    );
    // Each was answered after all three were in the file: one commit for the three.
    expect(seen).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it("rolls back a transaction that throws alone, and commits the others of its group", async () => {
    const failing = store.db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 5 }).execute();
      throw new Error("refused");
    });
    const results = await Promise.allSettled([insert(4), failing, insert(6)]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(committed()).toEqual([4, 6]);
  });

  it("rolls back a transaction whose statement fails alone (a duplicate key)", async () => {
    await insert(1);
    const results = await Promise.allSettled([insert(2), insert(1), insert(3)]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(committed()).toEqual([1, 2, 3]);
  });

  it("answers a statement outside a transaction, read or write, only once the open group has committed", async () => {
    const inGroup = insert(7);
    // Asked while the transaction's group is open: it runs in it, and is answered after its commit.
    const write = store.db
      .insertInto("t")
      .values({ id: 8 })
      .execute()
      .then(() => committed());
    const read = store.db
      .selectFrom("t")
      .select("id")
      .execute()
      .then((rows) => ({ read: rows.map((row) => row.id), file: committed() }));
    await inGroup;
    expect(await write).toEqual([7, 8]);
    expect(await read).toEqual({ read: [7, 8], file: [7, 8] });
  });

  it("runs after-commit hooks once the group has committed", async () => {
    const atHook: number[][] = [];
    await Promise.all([
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ id: 1 }).execute();
        afterCommit(trx, () => {
          atHook.push(committed());
        });
      }),
      insert(2),
    ]);
    expect(atHook).toEqual([[1, 2]]);
  });

  it("groups the runtime's exclusive transactions with the others", async () => {
    const statement = store.prepare(store.db.insertInto("t").values({ id: 0 }), [0]);
    const exclusive = store.exclusive(() => statement.run(10), { transaction: true }).then(() => committed());
    const refused = store.exclusive(
      () => {
        statement.run(11);
        throw new Error("refused");
      },
      { transaction: true },
    );
    await Promise.all([insert(9), expect(refused).rejects.toThrow("refused")]);
    expect(await exclusive).toEqual([9, 10]);
    expect(committed()).toEqual([9, 10]);
  });

  it("commits a group still open when the store closes", async () => {
    const statement = store.prepare(store.db.insertInto("t").values({ id: 0 }), [0]);
    // Run at once (the connection is free): its group waits for the next turn, and the close commits it first.
    const pending = store.exclusive(() => statement.run(12), { transaction: true });
    await store.close();
    await pending;
    store = openSqliteStore<Tables>(file, { groupCommit: true });
    expect(committed()).toEqual([12]);
  });
});
