import { type Kysely, sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestDatabase, type TestDatabase } from "../../../../tests/backends/test-database.js";
import { keptTime } from "../compact-ids.js";
import { packText } from "../packed-text.js";
import { migrate, openSqliteStore, type SqliteStore } from "../sqlite-store.js";
import { bootstrapPostgres, PLATFORM_SCHEMA } from "../store/postgres-bootstrap.js";
import { openPostgresStore } from "../store/postgres-store.js";
import { embeddedStore, type PostgresStore } from "../store/store-port.js";
import { compactScopeKey, hashedScopeKey } from "./idempotency-keys.js";
import { IDEMPOTENCY_WINDOW_MS, IdempotencyStore, type IdempotencyTables } from "./idempotency-store.js";
import { packResponse } from "./packed-response.js";

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
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    for (const key of ["a", "b"]) {
      const claim = await idempotency.claim(key, request);
      if (claim.kind === "fresh") await claim.complete({ status: 201, headers: {}, body: "{}" });
    }
    now = new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS);
    const claim = await idempotency.claim("c", request);
    if (claim.kind === "fresh") await claim.complete({ status: 201, headers: {}, body: "{}" });
    now = new Date(now.getTime() + 1);
    await idempotency.purgeExpired();
    const left = await sql<{ scope_key: Buffer }>`select scope_key from idempotency`.execute(store.db);
    expect(left.rows.map((row) => row.scope_key)).toEqual([hashedScopeKey("c")]);

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
  /**
   * A store whose rows were written by the code of before migration `later` (and those after it): the table
   * migrated up to it, `rows` written as that code wrote them, then the rest of the migrations, as the upgraded code
   * runs them when it opens the data folder.
   */
  async function openStoreWrittenBefore(
    later: string,
    rows: readonly IdempotencyTables["idempotency"][],
    now: () => Date,
  ) {
    store = openSqliteStore<IdempotencyTables>(":memory:");
    const migrations = IdempotencyStore.migrationsFor("sqlite");
    expect(Object.keys(migrations)).toContain(later);
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < later));
    await migrate(store.db as Kysely<unknown>, before, { label: "idempotency", table: "_migrations" });
    for (const row of rows) await store.db.insertInto("idempotency").values(row).execute();
    await migrate(store.db as Kysely<unknown>, migrations, { label: "idempotency", table: "_migrations" });
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
    const request = IdempotencyStore.request("POST", "/orders", '{"checkoutId":"chk_1"}');
    const claim = await idempotency.claim("customer:cus_1:key-1", request);
    if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
    await claim.complete(response);
    expect(await idempotency.claim("customer:cus_1:key-1", request)).toEqual({ kind: "replay", response });
    const other = IdempotencyStore.request("POST", "/orders", '{"checkoutId":"chk_2"}');
    expect(await idempotency.claim("customer:cus_1:key-1", other)).toEqual({ kind: "mismatch" });
    const row = await store.db.selectFrom("idempotency").selectAll().executeTakeFirstOrThrow();
    expect(row.request_hash).toHaveLength(8);
    expect(Buffer.isBuffer(row.body) && row.body.length < response.body.length + 60).toBe(true);
  });

  it("keeps the time a response was stored in 6 bytes, and purges by it beside rows whose time is text", async () => {
    let now = at;
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    // Rows stored before times were kept compact: one a window old by the time of the purge, one still fresh.
    const idempotency = await openStoreWrittenBefore(
      "0004_idempotency_hashed_keys",
      [
        ["text-old", at],
        ["text-fresh", new Date(at.getTime() + 2 * 3600_000)],
      ].map(([key, createdAt]) => ({
        scope_key: String(key),
        request_hash: request.hash,
        status: response.status,
        headers: JSON.stringify(response.headers),
        body: response.body,
        created_at: (createdAt as Date).toISOString(),
      })),
      () => now,
    );
    const complete = async (key: string) => {
      const claim = await idempotency.claim(key, request);
      if (claim.kind === "fresh") await claim.complete(response);
    };
    await complete("kept-old");
    now = new Date(at.getTime() + 2 * 3600_000);
    await complete("kept-fresh");
    const kept = await store.db
      .selectFrom("idempotency")
      .selectAll()
      .where("scope_key", "=", hashedScopeKey("kept-fresh"))
      .execute();
    expect(kept[0]?.created_at).toEqual(Buffer.from([0x01, 0x9b, 0x77, 0x48, 0x85, 0x00]));
    expect(await idempotency.claim("kept-fresh", request)).toEqual({ kind: "replay", response });

    now = new Date(at.getTime() + IDEMPOTENCY_WINDOW_MS + 1);
    await idempotency.purgeExpired();
    const left = await sql<{ scope_key: Buffer }>`select scope_key from idempotency`.execute(store.db);
    expect(left.rows.map((row) => row.scope_key)).toEqual(
      expect.arrayContaining([hashedScopeKey("kept-fresh"), hashedScopeKey("text-fresh")]),
    );
    expect(left.rows).toHaveLength(2);
    expect(await idempotency.claim("text-fresh", request)).toEqual({ kind: "replay", response });
    const plan = await sql<{ detail: string }>`explain query plan delete from idempotency
      where created_at < ${Buffer.alloc(6)} and (typeof(created_at) = 'blob' or created_at < ${at.toISOString()})`.execute(
      store.db,
    );
    expect(plan.rows.map((row) => row.detail).join(" ")).toMatch(/USING (COVERING )?INDEX idempotency_by_created_at/);
  });

  it("replays keys stored before responses were packed (hash in hex, headers and body as text)", async () => {
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const idempotency = await openStoreWrittenBefore(
      "0003_idempotency_compact_keys",
      [
        {
          scope_key: "customer:cus_1:key-old",
          request_hash: request.hash,
          status: response.status,
          headers: JSON.stringify(response.headers),
          body: response.body,
          created_at: at.toISOString(),
        },
      ],
      () => at,
    );
    expect(await idempotency.claim("customer:cus_1:key-old", request)).toEqual({ kind: "replay", response });
    const other = IdempotencyStore.request("POST", "/carts", '{"x":1}');
    expect(await idempotency.claim("customer:cus_1:key-old", other)).toEqual({ kind: "mismatch" });
  });
  it("replays a response an hour after it was stored, packed against its key and the time it was stored", async () => {
    let now = at;
    const idempotency = await openStore(() => now);
    const key = "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594";
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const created = {
      status: 201,
      headers: {
        "content-type": "application/json",
        location: "/carts/crt_01M96T5GH0000000000000000A",
        "correlation-id": "cor_01M96T5GH0000000000000000B",
      },
      body: '{"cartId":"crt_01M96T5GH0000000000000000A","customerId":"cus_01M96T5GGBZ3Q82PTNC98GRKZ4","status":"OPEN"}',
    };
    const claim = await idempotency.claim(key, request);
    if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
    await claim.complete(created);
    now = new Date(at.getTime() + 60 * 60 * 1000);
    expect(await idempotency.claim(key, request)).toEqual({ kind: "replay", response: created });
    const row = await store.db.selectFrom("idempotency").select("body").executeTakeFirstOrThrow();
    expect(row.body.length).toBeLessThan(created.body.length / 2);
  });

  it("replays keys whose headers and body were packed together with packed-text's format 1", async () => {
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const idempotency = await openStoreWrittenBefore(
      "0004_idempotency_hashed_keys",
      [
        {
          scope_key: compactScopeKey("customer:cus_1:key-packed"),
          request_hash: Buffer.from(request.hash.slice(0, 32), "hex"),
          status: response.status,
          headers: "",
          body: packText(`${JSON.stringify(response.headers)}\n${response.body}`),
          created_at: at.toISOString(),
        },
      ],
      () => at,
    );
    expect(await idempotency.claim("customer:cus_1:key-packed", request)).toEqual({ kind: "replay", response });
  });

  it("replays what the code before keys were hashed stored: compact keys, 16 bytes of hash, responses packed without their request", async () => {
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const keys = [
      "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594",
      "anonymous:127.0.0.1:a867ca11-361c-47bd-85a7-f2ef04a52594",
      "customer:cus_1:not-a-uuid",
    ];
    const createdAt = at.toISOString();
    const idempotency = await openStoreWrittenBefore(
      "0004_idempotency_hashed_keys",
      keys.map((key, index) => ({
        scope_key: compactScopeKey(key),
        request_hash: Buffer.from(request.hash.slice(0, 32), "hex"),
        status: response.status,
        headers: "",
        // As the code before packed it: against the time and the key alone (format 16).
        body: packResponse({ ...response, body: `{"n":${index}}` }, `${createdAt}${key}`),
        created_at: keptTime(createdAt),
      })),
      () => at,
    );
    for (const [index, key] of keys.entries())
      expect(await idempotency.claim(key, request)).toEqual({
        kind: "replay",
        response: { ...response, body: `{"n":${index}}` },
      });
    const other = IdempotencyStore.request("POST", "/carts", '{"x":1}');
    expect(await idempotency.claim(keys[0]!, other)).toEqual({ kind: "mismatch" });
  });

  it("keys every scope's key by 16 bytes of its hash", async () => {
    const idempotency = await openStore(() => at);
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const keys = [
      "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594",
      "anonymous:127.0.0.1:a867ca11-361c-47bd-85a7-f2ef04a52594",
      "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:A867CA11-361C-47BD-85A7-F2EF04A52594",
    ];
    // Completed in one turn: written together, each replayed after.
    const claims = await Promise.all(keys.map((key) => idempotency.claim(key, request)));
    await Promise.all(
      claims.map((claim, index) => {
        if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
        return claim.complete({ ...response, body: `{"n":${index}}` });
      }),
    );
    for (const [index, key] of keys.entries())
      expect(await idempotency.claim(key, request)).toEqual({
        kind: "replay",
        response: { ...response, body: `{"n":${index}}` },
      });
    const rows = await sql<{ key: Buffer }>`select scope_key as key from idempotency`.execute(store.db);
    expect(rows.rows.map((row) => row.key)).toEqual(expect.arrayContaining(keys.map(hashedScopeKey)));
    expect(new Set(rows.rows.map((row) => row.key.toString("hex"))).size).toBe(3);
    for (const { key } of rows.rows) expect(key).toHaveLength(16);
    const plan = await sql<{ detail: string }>`explain query plan
      select * from idempotency where scope_key = ${hashedScopeKey(keys[0]!)}`.execute(store.db);
    expect(plan.rows.map((row) => row.detail).join(" ")).toMatch(/USING INDEX idempotency_by_key/);
  });

  it("finds a key stored as text before keys were kept compact, once the store is migrated", async () => {
    const key = "customer:cus_01M96T5GGBZ3Q82PTNC98GRKZ4:a867ca11-361c-47bd-85a7-f2ef04a52594";
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const idempotency = await openStoreWrittenBefore(
      "0003_idempotency_compact_keys",
      [
        {
          scope_key: key,
          request_hash: request.hash,
          status: response.status,
          headers: JSON.stringify(response.headers),
          body: response.body,
          created_at: at.toISOString(),
        },
      ],
      () => at,
    );
    expect(await idempotency.claim(key, request)).toEqual({ kind: "replay", response });
  });

  it("stores a key used again after its window anew, at the table's end, and replays the new response", async () => {
    let now = at;
    const idempotency = await openStore(() => now);
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const stored = async (key: string, body: string) => {
      const claim = await idempotency.claim(key, request);
      if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
      await claim.complete({ ...response, body });
    };
    await stored("customer:cus_1:again", '{"n":1}');
    await stored("customer:cus_1:other", '{"n":2}');
    now = new Date(at.getTime() + IDEMPOTENCY_WINDOW_MS + 1);
    await stored("customer:cus_1:again", '{"n":3}');
    expect(await idempotency.claim("customer:cus_1:again", request)).toEqual({
      kind: "replay",
      response: { ...response, body: '{"n":3}' },
    });
    const rows = await sql<{ key: Buffer }>`select scope_key as key from idempotency order by rowid`.execute(store.db);
    expect(rows.rows.map((row) => row.key)).toEqual([
      hashedScopeKey("customer:cus_1:other"),
      hashedScopeKey("customer:cus_1:again"),
    ]);
  });

  it("writes the responses completed in one turn together, and when the database refuses one, that one fails alone", async () => {
    const idempotency = await openStore(() => at);
    // The database refuses any response with status 418: a stand-in for a write SQLite turns down (a full disk).
    await sql`create trigger refuse_teapots before insert on idempotency when new.status = 418
              begin select raise(abort, 'refused'); end`.execute(store.db);
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const keys = ["customer:cus_1:kept-1", "customer:cus_1:refused", "customer:cus_1:kept-2"];
    const claims = await Promise.all(keys.map((key) => idempotency.claim(key, request)));
    const completed = await Promise.allSettled(
      claims.map((claim, index) => {
        if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
        return claim.complete({ ...response, status: index === 1 ? 418 : 201 });
      }),
    );
    expect(completed.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((completed[1] as PromiseRejectedResult).reason)).toMatch(/refused/);
    expect(await idempotency.claim(keys[0]!, request)).toEqual({ kind: "replay", response });
    expect(await idempotency.claim(keys[2]!, request)).toEqual({ kind: "replay", response });
    expect((await idempotency.claim(keys[1]!, request)).kind).toBe("fresh");
  });

  it("keeps the first response stored under a key when a second store (another process) completes it after", async () => {
    const first = await openStore(() => at);
    const second = new IdempotencyStore(embeddedStore(store), () => at);
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const claims = [
      await first.claim("customer:cus_1:key-2", request),
      await second.claim("customer:cus_1:key-2", request),
    ];
    for (const [index, claim] of claims.entries()) {
      if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
      await claim.complete({ ...response, body: `{"n":${index}}` });
    }
    expect(await second.claim("customer:cus_1:key-2", request)).toEqual({
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
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const claim = await first.claim("customer:cus_1:key-1", request);
    if (claim.kind !== "fresh") throw new Error(`expected a fresh claim, got ${claim.kind}`);
    await claim.complete(response);
    expect(await second.claim("customer:cus_1:key-1", request)).toEqual({ kind: "replay", response });
    const other = IdempotencyStore.request("POST", "/carts", '{"x":1}');
    expect(await second.claim("customer:cus_1:key-1", other)).toEqual({ kind: "mismatch" });
  });

  it("forgets keys past the window: a claim after it is fresh, and the purge deletes them", async () => {
    let now = at;
    const idempotency = new IdempotencyStore(await openProcessStore(), () => now);
    const request = IdempotencyStore.request("POST", "/carts", "{}");
    const claim = await idempotency.claim("customer:cus_1:key-old", request);
    if (claim.kind === "fresh") await claim.complete({ status: 201, headers: {}, body: "{}" });
    now = new Date(at.getTime() + IDEMPOTENCY_WINDOW_MS + 1);
    const again = await idempotency.claim("customer:cus_1:key-old", request);
    expect(again.kind).toBe("fresh");
    if (again.kind === "fresh") again.abandon();
    await idempotency.purgeExpired();
    const left = await stores[0]!.db.selectFrom("idempotency").select("scope_key").execute();
    expect(left.map((row) => row.scope_key)).not.toContain("customer:cus_1:key-old");
  });
});
