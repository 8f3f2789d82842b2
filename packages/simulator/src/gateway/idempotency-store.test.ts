import { type Kysely, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, openSqliteStore, type SqliteStore } from "../sqlite-store.js";
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore, type IdempotencyTables } from "./idempotency-store.js";

describe("the Idempotency-Key store", () => {
  let store: SqliteStore<IdempotencyTables>;
  afterEach(async () => {
    await store.close();
  });

  it("purges expired keys through an index on their age, so the purge does not read the whole table", async () => {
    store = openSqliteStore<IdempotencyTables>(":memory:");
    await migrate(store.db as Kysely<unknown>, IdempotencyStore.migrations, {
      label: "idempotency",
      table: "_migrations",
    });
    let now = new Date("2026-01-01T00:00:00.000Z");
    const idempotency = new IdempotencyStore(store, () => now);
    for (const key of ["a", "b"]) {
      const claim = await idempotency.claim(key, "hash");
      if (claim.kind === "fresh") await claim.complete({ status: 201, headers: {}, body: "{}" });
    }
    now = new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS);
    const claim = await idempotency.claim("c", "hash");
    if (claim.kind === "fresh") await claim.complete({ status: 201, headers: {}, body: "{}" });
    now = new Date(now.getTime() + 1);
    await idempotency.purgeExpired();
    const left = await sql<{ scope_key: string }>`select scope_key from idempotency order by scope_key`.execute(
      store.db,
    );
    expect(left.rows.map((row) => row.scope_key)).toEqual(["c"]);

    const plan = await sql<{
      detail: string;
    }>`explain query plan delete from idempotency where created_at < ${now.toISOString()}`.execute(store.db);
    expect(plan.rows.map((row) => row.detail).join(" ")).toMatch(/USING (COVERING )?INDEX idempotency_by_created_at/);
  });
});
