import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite-store.js";
import { createWalCheckpointer } from "./wal-checkpointer.js";

const quiet = { info() {}, warn() {}, error() {} };

describe("the WAL checkpointer", () => {
  let folder: string;
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("moves a store's WAL into its database file from a worker thread, and leaves the WAL's removal to the store's close", async () => {
    folder = mkdtempSync(join(tmpdir(), "ecom-wal-"));
    const file = join(folder, "store.db");
    const store = openSqliteStore<unknown>(file);
    await sql`create table t (id integer primary key, text text not null)`.execute(store.db);
    for (let id = 0; id < 200; id++) await sql`insert into t (text) values (${"x".repeat(1000)})`.execute(store.db);
    const before = statSync(file).size;
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(200_000);

    const checkpointer = createWalCheckpointer([file], { log: quiet });
    await checkpointer.checkpoint();
    expect(statSync(file).size).toBeGreaterThan(before + 200_000);
    // The store goes on writing meanwhile and after.
    await sql`insert into t (text) values ('after')`.execute(store.db);
    await checkpointer.close();
    await store.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it("does nothing for stores in memory", async () => {
    folder = mkdtempSync(join(tmpdir(), "ecom-wal-"));
    const checkpointer = createWalCheckpointer([], { log: quiet });
    await checkpointer.checkpoint();
    await checkpointer.close();
  });
});
