import { allContexts } from "@ecom/services";
import type { AnyContextModule } from "@ecom/services/platform";
import { type Kysely, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "../../../../tests/backends/test-database.js";
import { eventLogMigrations } from "../event-log.js";
import { migrate, type RuntimeTables } from "../sqlite-store.js";
import { afterCommit } from "./hooked-kysely.js";
import { bootstrapPostgres, isSqlState, type PostgresLayout } from "./postgres-bootstrap.js";
import { migrateContextStore, openPostgresStore, openPostgresStores, readServiceTokenKey } from "./postgres-store.js";

const POOL = 2;

/** The contexts' modules by name. */
const context = (name: string): AnyContextModule => {
  const module = allContexts.find((candidate) => candidate.name === name);
  if (!module) throw new Error(`no context ${name}`);
  return module;
};

/** What a query refused with, as its SQLSTATE (undefined when it was not refused). */
async function refusal(query: Promise<unknown>): Promise<string | undefined> {
  try {
    await query;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describePostgresNats("the contexts' stores on PostgreSQL", () => {
  let database: TestDatabase;
  let layout: PostgresLayout;

  beforeAll(async () => {
    database = await createTestDatabase();
    layout = await bootstrapPostgres({ url: database.url, schemas: allContexts.map((module) => module.name) });
  });

  afterAll(async () => {
    await database?.drop();
  });

  const migratesAsItsRole = async (module: AnyContextModule) => {
    const store = openPostgresStore(layout, module.name, { url: database.url, poolSize: POOL });
    try {
      await migrateContextStore(store, module);
      const db = store.db as Kysely<unknown>;
      const { rows: who } = await sql<{ user: string; schema: string }>`
        select current_user as user, current_schema() as schema`.execute(db);
      expect(who[0]).toEqual({ user: `${database.name}_${module.name}`, schema: module.name });
      // Every table the migrations made is in the context's schema and owned by its role, the migrations' own too.
      const { rows: tables } = await sql<{ schemaname: string; tableowner: string; tablename: string }>`
        select schemaname, tableowner, tablename from pg_tables where tableowner = current_user`.execute(db);
      expect(tables.map((table) => table.tablename)).toEqual(
        expect.arrayContaining(["_outbox", "_cursor", "_dead_letter", "_migrations", "_migrations_runtime"]),
      );
      expect(new Set(tables.map((table) => table.schemaname))).toEqual(new Set([module.name]));
      const { rows: applied } = await sql<{ count: number }>`select count(*) as count from _migrations`.execute(db);
      expect(applied[0]?.count).toBe(Object.keys(module.migrations).length);
    } finally {
      await store.close();
    }
  };

  it.each(allContexts.map((module) => [module.name, module]))(
    "migrates %s unchanged as its own role, in its own schema",
    async (_name, module) => migratesAsItsRole(module),
  );

  describe("a context's role", () => {
    let order: ReturnType<typeof openPostgresStore<unknown>>;

    beforeAll(async () => {
      // Inventory's tables exist (its migration test may not have run first: tests do not lean on each other).
      const inventory = openPostgresStore(layout, "inventory", { url: database.url, poolSize: POOL });
      await migrateContextStore(inventory, context("inventory")).finally(() => inventory.close());
      order = openPostgresStore(layout, "order", { url: database.url, poolSize: POOL });
    });

    afterAll(async () => {
      await order?.close();
    });

    it("is refused another context's tables and schema with 42501", async () => {
      const db = order.db as Kysely<{ "inventory.stock_levels": { sku: string } }>;
      expect(await refusal(sql`select * from inventory.stock_levels`.execute(db))).toBe("42501");
      expect(await refusal(db.selectFrom("inventory.stock_levels").selectAll().execute())).toBe("42501");
      expect(
        await refusal(
          order.db
            .withSchema("inventory")
            .selectFrom("stock_levels" as never)
            .selectAll()
            .execute(),
        ),
      ).toBe("42501");
      expect(await refusal(sql`create table inventory.stolen (id integer)`.execute(db))).toBe("42501");
      expect(await refusal(sql`select * from platform.secrets`.execute(db))).toBe("42501");
    });

    it("cannot create tables in public either", async () => {
      expect(await refusal(sql`create table public.shared (id integer)`.execute(order.db))).toBe("42501");
    });

    it("creates in its own schema without naming it", async () => {
      await sql`create table scratch_of_order (id integer)`.execute(order.db);
      const { rows } = await sql<{ schemaname: string }>`
        select schemaname from pg_tables where tablename = 'scratch_of_order'`.execute(order.db);
      expect(rows).toEqual([{ schemaname: "order" }]);
    });
  });

  it("gives each role a password derived from the URL's, when it has one, and logs in with it", async () => {
    // A database of its own: the platform schema of this suite's belongs to the namespace without a password.
    const own = await createTestDatabase();
    try {
      const url = new URL(own.url);
      url.password = "s3cret";
      const withPassword = await bootstrapPostgres({ url: url.toString(), schemas: ["cart"] });
      const cart = withPassword.stores.get("cart");
      expect(cart?.password).toMatch(/^[\w-]{43}$/);
      expect(cart?.password).not.toBe(withPassword.stores.get("platform")?.password);
      const { rows } = await withAdminClient(
        (client) =>
          client.query<{ rolname: string; scram: boolean }>(
            "select rolname, rolpassword like 'SCRAM-SHA-256$%' as scram from pg_authid where starts_with(rolname, $1) order by 1",
            [`${own.name}_`],
          ),
        own.url,
      );
      expect(rows).toEqual([
        { rolname: `${own.name}_cart`, scram: true },
        { rolname: `${own.name}_platform`, scram: true },
      ]);
      // Trust auth here does not check it; the pool is given it all the same, and is who it says, by name.
      const store = openPostgresStore(withPassword, "cart", { url: url.toString(), poolSize: POOL });
      try {
        const { rows: who } = await sql<{ user: string; application: string }>`
          select current_user as user, current_setting('application_name') as application`.execute(store.db);
        expect(who).toEqual([{ user: `${own.name}_cart`, application: `ecom ${own.name}_cart` }]);
      } finally {
        await store.close();
      }
    } finally {
      await own.drop();
    }
  });

  it("says what the URL's user lacks when it may not create roles", async () => {
    const plain = `${database.name}_plain`;
    await withAdminClient((client) => client.query(`create role "${plain}" login`), database.url);
    const url = new URL(database.url);
    url.username = plain;
    await expect(
      bootstrapPostgres({ url: url.toString(), namespace: `${database.name}_by_plain`, schemas: ["cart"] }),
    ).rejects.toThrow(`${plain} may not prepare the database ${database.name} for the stores (permission denied`);
  });

  it("refuses a namespace whose roles do not own the schemas", async () => {
    await expect(
      bootstrapPostgres({ url: database.url, namespace: `${database.name}_other`, schemas: ["cart"] }),
    ).rejects.toThrow(/the schema cart belongs to the role .*_cart, not .*_other_cart/);
  });
});

describePostgresNats("opening the platform's stores on PostgreSQL", () => {
  const contexts = [context("cart"), context("inventory")];
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it("is safe for two processes starting at once, which agree on the secrets", async () => {
    const [first, second] = await Promise.all([
      openPostgresStores({ url: database.url, contexts, poolSize: POOL }),
      openPostgresStores({ url: database.url, contexts, poolSize: POOL }),
    ]);
    try {
      expect(first.secrets.jwt.equals(second.secrets.jwt)).toBe(true);
      expect(first.secrets.serviceToken.equals(second.secrets.serviceToken)).toBe(true);
      expect(first.secrets.jwt.equals(first.secrets.serviceToken)).toBe(false);
      expect(first.secrets.jwt).toHaveLength(32);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("gives the gateway the processes' service-token key, and refuses a database no process started on, making nothing", async () => {
    const fresh = await createTestDatabase();
    try {
      await expect(readServiceTokenKey({ url: fresh.url })).rejects.toThrow(
        /^the database \S+ holds no stores of the namespace \S+ \(no schema platform owned by a role \S+_platform\)/,
      );
      const roles = await withAdminClient(
        async (client) =>
          (
            await client.query("select count(*)::int as n from pg_roles where starts_with(rolname, $1)", [
              `${fresh.name}_`,
            ])
          ).rows[0].n,
      );
      expect(roles).toBe(0);
    } finally {
      await fresh.drop();
    }
    const stores = await openPostgresStores({ url: database.url, contexts, poolSize: POOL });
    try {
      expect((await readServiceTokenKey({ url: database.url })).equals(stores.secrets.serviceToken)).toBe(true);
    } finally {
      await stores.close();
    }
  });

  it("opens again without changing anything: same roles, schemas, migrations and secrets", async () => {
    const snapshot = () =>
      withAdminClient(
        async (client) => ({
          roles: (
            await client.query("select rolname from pg_roles where starts_with(rolname, $1) order by 1", [
              `${database.name}_`,
            ])
          ).rows,
          schemas: (
            await client.query(
              "select nspname, pg_get_userbyid(nspowner) as owner from pg_namespace where nspname in ('cart', 'inventory', 'platform') order by 1",
            )
          ).rows,
          migrations: (await client.query("select name, timestamp from cart._migrations order by 1")).rows,
          secrets: (await client.query("select name, value from platform.secrets order by 1")).rows,
        }),
        database.url,
      );
    const first = await openPostgresStores({ url: database.url, contexts, poolSize: POOL });
    await first.close();
    const before = await snapshot();
    const again = await openPostgresStores({ url: database.url, contexts, poolSize: POOL });
    await again.close();
    expect(await snapshot()).toEqual(before);
    expect(before.roles.map((row) => row.rolname)).toEqual(
      ["cart", "inventory", "platform"].map((name) => `${database.name}_${name}`),
    );
    expect(before.secrets).toHaveLength(2);
  });

  it("names the roles from the database, and gives each context its runtime tables", async () => {
    const stores = await openPostgresStores({ url: database.url, contexts: [context("cart")], poolSize: POOL });
    try {
      expect(stores.namespace).toBe(database.name);
      expect(stores.contexts.get("cart")?.role).toBe(`${database.name}_cart`);
      const { rows } = await sql<{ seq: number }>`
        insert into _outbox (event_id, envelope) values ('evt_1', '{}') returning seq`.execute(
        stores.contexts.get("cart")?.db ?? stores.platform.db,
      );
      expect(rows[0]?.seq).toBeGreaterThan(0);
    } finally {
      await stores.close();
    }
  });

  it("runs a transaction's after-commit hooks once it committed, seeing its rows from another connection", async () => {
    const stores = await openPostgresStores({ url: database.url, contexts: [context("cart")], poolSize: POOL });
    try {
      const db = stores.contexts.get("cart")?.db as Kysely<RuntimeTables>;
      const seen: string[] = [];
      const outbox = () => db.selectFrom("_outbox").select("event_id").orderBy("seq").execute();
      await db
        .transaction()
        .setIsolationLevel("serializable")
        .execute(async (trx) => {
          await trx.insertInto("_outbox").values({ event_id: "evt_hooked", envelope: "{}" }).execute();
          afterCommit(trx, async () => {
            // Another pooled connection than the transaction's: it sees the row only once committed.
            const committed = (await outbox()).some((row) => row.event_id === "evt_hooked");
            seen.push(`first, seeing the row: ${committed}`);
          });
          afterCommit(trx, () => {
            seen.push("second");
          });
          seen.push("inside");
        });
      expect(seen).toEqual(["inside", "first, seeing the row: true", "second"]);

      const failed = db.transaction().execute(async (trx) => {
        await trx.insertInto("_outbox").values({ event_id: "evt_rolled_back", envelope: "{}" }).execute();
        afterCommit(trx, () => {
          seen.push("after a rollback");
        });
        throw new Error("changed my mind");
      });
      await expect(failed).rejects.toThrow("changed my mind");
      expect(seen).toHaveLength(3);
      expect((await outbox()).map((row) => row.event_id)).not.toContain("evt_rolled_back");
    } finally {
      await stores.close();
    }
  });

  it("runs the event log's migration too, whose appends number events and skip a logged id", async () => {
    const stores = await openPostgresStores({ url: database.url, contexts: [], poolSize: POOL });
    try {
      const db = stores.platform.db as Kysely<unknown>;
      await migrate(db, eventLogMigrations, { label: "the event log", table: "_migrations_event_log" });
      const append = (eventId: string) =>
        sql<{ seq: number }>`insert into event_log (event_id, type_code, producer, correlation_id, envelope)
          values (${eventId}, 1, 'cart', 'cor_1', '{}')
          on conflict (event_id) do nothing returning seq`.execute(db);
      expect((await append("evt_a")).rows).toEqual([{ seq: 1 }]);
      expect((await append("evt_b")).rows).toEqual([{ seq: 2 }]);
      expect((await append("evt_a")).rows).toEqual([]);
    } finally {
      await stores.close();
    }
  });
});

describe("isSqlState", () => {
  it("matches a pg error's code", () => {
    expect(isSqlState(Object.assign(new Error("x"), { code: "42501" }), "42501")).toBe(true);
    expect(isSqlState(new Error("x"), "42501")).toBe(false);
  });
});
