import { type Kysely, sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestDatabase, type TestDatabase } from "../../../../tests/backends/test-database.js";
import { packText } from "../packed-text.js";
import { migrate, openSqliteStore, type SqliteStore } from "../sqlite-store.js";
import { bootstrapPostgres, PLATFORM_SCHEMA } from "../store/postgres-bootstrap.js";
import { openPostgresStore } from "../store/postgres-store.js";
import { embeddedStore, type PostgresStore } from "../store/store-port.js";
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore, type IdempotencyTables, keptScopeKey } from "./idempotency-store.js";

describe("the Idempotency-Key store", () => {
  let store: SqliteStore<IdempotencyTables>;
  afterEach(async () => {
    await store.close();
  });

  it("purges expired keys through an index on their age, so the purge does not read the whole table", async () => {
    store = openSqliteStore<IdempotencyTables>(":memory:");
    await migrate(store.db as Kysely<unknown>, IdempotencyStore.migrationsFor("sqlite"), {
      label: "idempotency",
      table: "_migrations",
    });
    let now = new Date("2026-01-01T00:00:00.000Z");
    const idempotency = new IdempotencyStore(embeddedStore(store), () => now);
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

  async function openStore(now: () => Date) {
    store = openSqliteStore<IdempotencyTables>(":memory:");
    await migrate(store.db as Kysely<unknown>, IdempotencyStore.migrationsFor("sqlite"), {
      label: "idempotency",
      table: "_migrations",
    });
    return new IdempotencyStore(embeddedStore(store), now);
  }
  const at = new Date("2026-01-01T00:00:00.000Z");
  const response = {
    status: 201,
    headers: { "content-type": "application/json", location: "/orders/ord_1", "correlation-id": "cor_1" },
    body: '{"orderId":"ord_1","note":"caf\u00e9 ☕\n"}',
  };

  it("replays the first response byte for byte from a compact row, and refuses another request under the key", async () => {
    const idempotency = await openStore(() => at);
    const hash = IdempotencyStore.hash("POST", "/orders", '{"checkoutId":"chk_1"}');
    const claim = await idempotency.claim("customer:cus_1:key-1", hash);
    if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
    await claim.complete(response);
    expect(await idempotency.claim("customer:cus_1:key-1", hash)).toEqual({ kind: "replay", response });
    const other = IdempotencyStore.hash("POST", "/orders", '{"checkoutId":"chk_2"}');
    expect(await idempotency.claim("customer:cus_1:key-1", other)).toEqual({ kind: "mismatch" });
    const row = await store.db.selectFrom("idempotency").selectAll().executeTakeFirstOrThrow();
    expect(row.request_hash).toHaveLength(16);
    expect(Buffer.isBuffer(row.body) && row.body.length < response.body.length + 60).toBe(true);
  });

  it("keeps the time a response was stored in 6 bytes, and purges by it beside rows whose time is text", async () => {
    let now = at;
    const idempotency = await openStore(() => now);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const complete = async (key: string) => {
      const claim = await idempotency.claim(key, hash);
      if (claim.kind === "fresh") await claim.complete(response);
    };
    // Rows stored before times were kept compact: one a window old by the time of the purge, one still fresh.
    for (const [key, createdAt] of [
      ["text-old", at],
      ["text-fresh", new Date(at.getTime() + 2 * 3600_000)],
    ] as const)
      await store.db
        .insertInto("idempotency")
        .values({
          scope_key: key,
          request_hash: hash,
          status: response.status,
          headers: JSON.stringify(response.headers),
          body: response.body,
          created_at: createdAt.toISOString(),
        })
        .execute();
    await complete("kept-old");
    now = new Date(at.getTime() + 2 * 3600_000);
    await complete("kept-fresh");
    const kept = await store.db.selectFrom("idempotency").selectAll().where("scope_key", "=", "kept-fresh").execute();
    expect(kept[0]?.created_at).toEqual(Buffer.from([0x01, 0x9b, 0x77, 0x48, 0x85, 0x00]));
    expect(await idempotency.claim("kept-fresh", hash)).toEqual({ kind: "replay", response });

    now = new Date(at.getTime() + IDEMPOTENCY_WINDOW_MS + 1);
    await idempotency.purgeExpired();
    const left = await sql<{ scope_key: string }>`select scope_key from idempotency order by scope_key`.execute(
      store.db,
    );
    expect(left.rows.map((row) => row.scope_key)).toEqual(["kept-fresh", "text-fresh"]);
    expect(await idempotency.claim("text-fresh", hash)).toEqual({ kind: "replay", response });
    const plan = await sql<{ detail: string }>`explain query plan delete from idempotency
      where created_at < ${Buffer.alloc(6)} and (typeof(created_at) = 'blob' or created_at < ${at.toISOString()})`.execute(
      store.db,
    );
    expect(plan.rows.map((row) => row.detail).join(" ")).toMatch(/USING (COVERING )?INDEX idempotency_by_created_at/);
  });

  it("replays keys stored before responses were packed (hash in hex, headers and body as text)", async () => {
    const idempotency = await openStore(() => at);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    await store.db
      .insertInto("idempotency")
      .values({
        scope_key: "customer:cus_1:key-old",
        request_hash: hash,
        status: response.status,
        headers: JSON.stringify(response.headers),
        body: response.body,
        created_at: at.toISOString(),
      })
      .execute();
    expect(await idempotency.claim("customer:cus_1:key-old", hash)).toEqual({ kind: "replay", response });
    const other = IdempotencyStore.hash("POST", "/carts", '{"x":1}');
    expect(await idempotency.claim("customer:cus_1:key-old", other)).toEqual({ kind: "mismatch" });
  });
  it("replays a response an hour after it was stored, packed against its key and the time it was stored", async () => {
    let now = at;
    const idempotency = await openStore(() => now);
    const key = "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594";
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const created = {
      status: 201,
      headers: {
        "content-type": "application/json",
        location: "/carts/crt_01M96T5GH0000000000000000A",
        "correlation-id": "cor_01M96T5GH0000000000000000B",
      },
      body: '{"cartId":"crt_01M96T5GH0000000000000000A","customerId":"cus_01M96T5GGBZ3Q82PTNC98GRKZ4","status":"OPEN"}',
    };
    const claim = await idempotency.claim(key, hash);
    if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
    await claim.complete(created);
    now = new Date(at.getTime() + 60 * 60 * 1000);
    expect(await idempotency.claim(key, hash)).toEqual({ kind: "replay", response: created });
    const row = await store.db.selectFrom("idempotency").select("body").executeTakeFirstOrThrow();
    expect(row.body.length).toBeLessThan(created.body.length / 2);
  });

  it("replays keys whose headers and body were packed together with packed-text's format 1", async () => {
    const idempotency = await openStore(() => at);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    await store.db
      .insertInto("idempotency")
      .values({
        scope_key: keptScopeKey("customer:cus_1:key-packed"),
        request_hash: Buffer.from(hash.slice(0, 32), "hex"),
        status: response.status,
        headers: "",
        body: packText(`${JSON.stringify(response.headers)}\n${response.body}`),
        created_at: at.toISOString(),
      })
      .execute();
    expect(await idempotency.claim("customer:cus_1:key-packed", hash)).toEqual({ kind: "replay", response });
  });

  it("keeps a customer's UUID key in 33 bytes, and a key of another scope ending in a UUID in its scope's text and 16 bytes", async () => {
    const idempotency = await openStore(() => at);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const keys = [
      "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594",
      "anonymous:127.0.0.1:a867ca11-361c-47bd-85a7-f2ef04a52594",
      "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:A867CA11-361C-47BD-85A7-F2EF04A52594",
    ];
    // Completed in one turn: written together, each replayed after.
    const claims = await Promise.all(keys.map((key) => idempotency.claim(key, hash)));
    await Promise.all(
      claims.map((claim, index) => {
        if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
        return claim.complete({ ...response, body: `{"n":${index}}` });
      }),
    );
    for (const [index, key] of keys.entries())
      expect(await idempotency.claim(key, hash)).toEqual({
        kind: "replay",
        response: { ...response, body: `{"n":${index}}` },
      });
    const rows = await sql<{
      length: number;
      kind: string;
    }>`select length(scope_key) as length, typeof(scope_key) as kind
      from idempotency order by rowid`.execute(store.db);
    expect(rows.rows).toEqual([
      { length: 33, kind: "blob" },
      { length: 1 + "anonymous:127.0.0.1".length + 16, kind: "blob" },
      { length: keys[2]!.length, kind: "text" },
    ]);
    expect(keptScopeKey(keys[0]!)).not.toEqual(keptScopeKey(keys[1]!));
  });

  it("finds a key stored as text before keys were kept compact, once the store is migrated", async () => {
    store = openSqliteStore<IdempotencyTables>(":memory:");
    const { "0003_idempotency_compact_keys": compacting, ...before } = IdempotencyStore.migrationsFor("sqlite");
    await migrate(store.db as Kysely<unknown>, before, { label: "idempotency", table: "_migrations" });
    const key = "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594";
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    await store.db
      .insertInto("idempotency")
      .values({
        scope_key: key,
        request_hash: hash,
        status: response.status,
        headers: JSON.stringify(response.headers),
        body: response.body,
        created_at: at.toISOString(),
      })
      .execute();
    expect(compacting).toBeDefined();
    await migrate(store.db as Kysely<unknown>, IdempotencyStore.migrationsFor("sqlite"), {
      label: "idempotency",
      table: "_migrations",
    });
    const idempotency = new IdempotencyStore(embeddedStore(store), () => at);
    expect(await idempotency.claim(key, hash)).toEqual({ kind: "replay", response });
  });

  it("writes the responses completed in one turn together, and when the database refuses one, that one fails alone", async () => {
    const idempotency = await openStore(() => at);
    // The database refuses any response with status 418: a stand-in for a write SQLite turns down (a full disk).
    await sql`create trigger refuse_teapots before insert on idempotency when new.status = 418
              begin select raise(abort, 'refused'); end`.execute(store.db);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const keys = ["customer:cus_1:kept-1", "customer:cus_1:refused", "customer:cus_1:kept-2"];
    const claims = await Promise.all(keys.map((key) => idempotency.claim(key, hash)));
    const completed = await Promise.allSettled(
      claims.map((claim, index) => {
        if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
        return claim.complete({ ...response, status: index === 1 ? 418 : 201 });
      }),
    );
    expect(completed.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((completed[1] as PromiseRejectedResult).reason)).toMatch(/refused/);
    expect(await idempotency.claim(keys[0]!, hash)).toEqual({ kind: "replay", response });
    expect(await idempotency.claim(keys[2]!, hash)).toEqual({ kind: "replay", response });
    expect((await idempotency.claim(keys[1]!, hash)).kind).toBe("fresh");
  });

  it("keeps the first response stored under a key when a second store (another process) completes it after", async () => {
    const first = await openStore(() => at);
    const second = new IdempotencyStore(embeddedStore(store), () => at);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const claims = [await first.claim("customer:cus_1:key-2", hash), await second.claim("customer:cus_1:key-2", hash)];
    for (const [index, claim] of claims.entries()) {
      if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
      await claim.complete({ ...response, body: `{"n":${index}}` });
    }
    expect(await second.claim("customer:cus_1:key-2", hash)).toEqual({
      kind: "replay",
      response: { ...response, body: '{"n":0}' },
    });
  });
});

describePostgresNats("the Idempotency-Key store on PostgreSQL", () => {
  let database: TestDatabase;
  const stores: PostgresStore<IdempotencyTables>[] = [];
  const at = new Date("2026-01-01T00:00:00.000Z");

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await database?.drop();
  });

  /** The platform schema's store as one process opens it: a pool of its own, the table migrated (once). */
  async function openProcessStore(): Promise<PostgresStore<IdempotencyTables>> {
    const layout = await bootstrapPostgres({ url: database.url, schemas: [] });
    const store = openPostgresStore<IdempotencyTables>(layout, PLATFORM_SCHEMA, { url: database.url, poolSize: 2 });
    stores.push(store);
    await migrate(store.db as Kysely<unknown>, IdempotencyStore.migrationsFor("postgres"), {
      label: "the platform store",
      table: "_migrations",
    });
    return store;
  }

  it("replays a response one process stored from another, byte for byte, and refuses another request there", async () => {
    const first = new IdempotencyStore(await openProcessStore(), () => at);
    const second = new IdempotencyStore(await openProcessStore(), () => at);
    const response = {
      status: 201,
      headers: { "content-type": "application/json", location: "/carts/crt_1" },
      body: '{"cartId":"crt_1","note":"caf\u00e9 ☕\n"}',
    };
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const claim = await first.claim("customer:cus_1:key-1", hash);
    if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
    await claim.complete(response);
    expect(await second.claim("customer:cus_1:key-1", hash)).toEqual({ kind: "replay", response });
    const other = IdempotencyStore.hash("POST", "/carts", '{"x":1}');
    expect(await second.claim("customer:cus_1:key-1", other)).toEqual({ kind: "mismatch" });
  });

  it("forgets keys past the window: a claim after it is fresh, and the purge deletes them", async () => {
    let now = at;
    const idempotency = new IdempotencyStore(await openProcessStore(), () => now);
    const hash = IdempotencyStore.hash("POST", "/carts", "{}");
    const claim = await idempotency.claim("customer:cus_1:key-old", hash);
    if (claim.kind === "fresh") await claim.complete({ status: 201, headers: {}, body: "{}" });
    now = new Date(at.getTime() + IDEMPOTENCY_WINDOW_MS + 1);
    const again = await idempotency.claim("customer:cus_1:key-old", hash);
    expect(again.kind).toBe("fresh");
    if (again.kind === "fresh") again.abandon();
    await idempotency.purgeExpired();
    const left = await stores[0]!.db.selectFrom("idempotency").select("scope_key").execute();
    expect(left.map((row) => row.scope_key)).not.toContain("customer:cus_1:key-old");
  });
});
