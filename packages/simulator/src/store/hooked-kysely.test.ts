import { AsyncLocalStorage } from "node:async_hooks";
import Database from "better-sqlite3";
import { type Kysely, SqliteDialect } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../sqlite-store.js";
import { afterCommit, HookedKysely } from "./hooked-kysely.js";

interface Tables {
  t: { id: number };
}

/** Kysely's own transactions with hooks (HookedKysely, as on PostgreSQL), and a SQLite store's (sqlite-kysely.ts). */
const runners: [string, (onHookError: (error: unknown) => void) => Kysely<Tables>][] = [
  [
    "HookedKysely",
    (onHookError) =>
      new HookedKysely<Tables>({ dialect: new SqliteDialect({ database: new Database(":memory:") }), onHookError }),
  ],
  ["a SQLite store", (onHookError) => openSqliteStore<Tables>(":memory:", { onHookError }).db],
];

describe.each(runners)("after-commit hooks of %s", (_name, create) => {
  let db: Kysely<Tables> | undefined;
  let failures: unknown[];
  afterEach(async () => {
    await db?.destroy();
    db = undefined;
  });

  async function open(): Promise<Kysely<Tables>> {
    failures = [];
    const opened = create((error) => failures.push(error));
    db = opened;
    await opened.schema.createTable("t").addColumn("id", "integer").execute();
    return opened;
  }

  const count = async () =>
    Number((await db!.selectFrom("t").select(db!.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);

  it("run in the async context of the code that registered them (its trace span), not the committing one's", async () => {
    const db = await open();
    const span = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    await span.run("the transaction's caller", () =>
      db.transaction().execute(async (trx) => {
        span.run("the registering handler", () => {
          afterCommit(trx, () => {
            seen.push(span.getStore());
          });
        });
        afterCommit(trx, () => {
          seen.push(span.getStore());
        });
      }),
    );
    expect(seen).toEqual(["the registering handler", "the transaction's caller"]);
  });

  it("run after the commit, in the order they were registered, before execute() resolves", async () => {
    const db = await open();
    const seen: string[] = [];
    const result = await db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 1 }).execute();
      afterCommit(trx, async () => {
        // The connection is back: the hook reads what the transaction committed (on SQLite's one connection, a
        // hook run before the release would wait for it forever).
        seen.push(`first saw ${await count()}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push("first done");
      });
      afterCommit(trx, () => {
        seen.push("second");
      });
      seen.push("callback done");
      return "result";
    });
    expect(result).toBe("result");
    expect(seen).toEqual(["callback done", "first saw 1", "first done", "second"]);
  });

  it("never run when the transaction rolls back", async () => {
    const db = await open();
    let ran = false;
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto("t").values({ id: 1 }).execute();
        afterCommit(trx, () => {
          ran = true;
        });
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(ran).toBe(false);
    expect(await count()).toBe(0);
  });

  it("report a hook that throws, run the rest, and keep the transaction's result", async () => {
    const db = await open();
    const seen: string[] = [];
    const result = await db.transaction().execute(async (trx) => {
      await trx.insertInto("t").values({ id: 1 }).execute();
      afterCommit(trx, () => {
        throw new Error("hook failed");
      });
      afterCommit(trx, async () => {
        seen.push("second ran");
      });
      return 7;
    });
    expect(result).toBe(7);
    expect(seen).toEqual(["second ran"]);
    expect(failures).toEqual([new Error("hook failed")]);
    expect(await count()).toBe(1);
  });

  it("keep the hooks of each transaction to itself", async () => {
    const db = await open();
    const seen: string[] = [];
    await Promise.all(
      ["a", "b"].map((name, index) =>
        db.transaction().execute(async (trx) => {
          await trx.insertInto("t").values({ id: index }).execute();
          afterCommit(trx, () => {
            seen.push(name);
          });
        }),
      ),
    );
    expect(seen.sort()).toEqual(["a", "b"]);
  });

  it("keep working on a builder given an isolation level or access mode", async () => {
    const db = await open();
    let ran = 0;
    await db
      .transaction()
      .setIsolationLevel("serializable")
      .execute(async (trx) => {
        afterCommit(trx, () => {
          ran++;
        });
      });
    await db
      .transaction()
      .setAccessMode("read write")
      .execute(async (trx) => {
        afterCommit(trx, () => {
          ran++;
        });
      });
    expect(ran).toBe(2);
  });

  it("refuse a hook on a transaction that ended, a derived one or a controlled one, rather than drop it", async () => {
    const db = await open();
    const kept = await db.transaction().execute(async (trx) => trx);
    expect(() => afterCommit(kept, () => {})).toThrow(/open transaction of a hooked store/);
    await db.transaction().execute(async (trx) => {
      expect(() => afterCommit(trx.withTables<{ u: { id: number } }>(), () => {})).toThrow(/hooked store/);
      // Kysely has no nested transaction to attach hooks to: a Transaction refuses one.
      expect(() => trx.transaction()).toThrow(/not supported/);
    });
    const controlled = await db.startTransaction().execute();
    // @ts-expect-error a controlled transaction is not a Transaction: the types refuse it, and so does afterCommit
    expect(() => afterCommit(controlled, () => {})).toThrow(/hooked store/);
    await controlled.rollback().execute();
  });
});
