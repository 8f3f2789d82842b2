import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "../../../../tests/backends/test-database.js";
import { exportPlatformState } from "../canonical-export/export-platform-state.js";
import { bootstrapPostgres, findPostgresLayout } from "./postgres-bootstrap.js";

/** The comment on a role, or null. */
async function commentOn(role: string): Promise<string | null> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ comment: string | null }>(
      "select shobj_description(oid, 'pg_authid') as comment from pg_roles where rolname = $1",
      [role],
    );
    return rows[0]?.comment ?? null;
  });
}

/** The roles named `<namespace>_…`. */
async function rolesOf(namespace: string): Promise<string[]> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query<{ rolname: string }>(
      "select rolname from pg_roles where starts_with(rolname, $1) order by 1",
      [`${namespace}_`],
    );
    return rows.map((row) => row.rolname);
  });
}

describePostgresNats("the stores' bootstrap on PostgreSQL", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it("marks the roles it makes as its own, and adopts them again at the next start", async () => {
    const layout = await bootstrapPostgres({ url: database.url, schemas: ["catalog"] });
    const role = `${database.name}_catalog`;
    expect(layout.stores.get("catalog")?.role).toBe(role);
    expect(await commentOn(role)).toBe(`ecom:${database.name}:catalog`);
    expect(await commentOn(`${database.name}_platform`)).toBe(`ecom:${database.name}:platform`);
    await expect(bootstrapPostgres({ url: database.url, schemas: ["catalog"] })).resolves.toBeDefined();
  });

  it("marks and adopts a role an earlier bootstrap made unmarked: it owns the store's schema and has no powers", async () => {
    const role = `${database.name}_catalog`;
    await bootstrapPostgres({ url: database.url, schemas: ["catalog"] });
    await withAdminClient((client) => client.query(`comment on role "${role}" is null`));
    await bootstrapPostgres({ url: database.url, schemas: ["catalog"] });
    expect(await commentOn(role)).toBe(`ecom:${database.name}:catalog`);
  });

  it("finds the layout a bootstrap made without changing anything, and refuses another namespace in one line", async () => {
    await bootstrapPostgres({ url: database.url, schemas: ["catalog"] });
    const found = await findPostgresLayout({ url: database.url, schemas: ["catalog"] });
    expect(found.stores.get("catalog")).toEqual({ role: `${database.name}_catalog`, schema: "catalog" });
    const wrong = `${database.name}_typo`;
    await expect(findPostgresLayout({ url: database.url, namespace: wrong, schemas: ["catalog"] })).rejects.toThrow(
      `the database ${database.name} holds no stores of the namespace ${wrong} (no schema catalog owned by a role ` +
        `${wrong}_catalog): pass the platform's --namespace, or start the platform on this database first`,
    );
    expect(await rolesOf(wrong)).toEqual([]);
  });

  it("exports a platform's state (read-only) without making roles: a wrong --namespace leaves none behind", async () => {
    await bootstrapPostgres({ url: database.url, schemas: ["catalog"] });
    const wrong = `${database.name}_wrongns`;
    await expect(exportPlatformState({ storeUrl: database.url, namespace: wrong })).rejects.toThrow(
      `holds no stores of the namespace ${wrong}`,
    );
    expect(await rolesOf(wrong)).toEqual([]);
  });

  // Each case under a namespace of its own (roles `<database>_<case>_catalog`, dropped with the database's).
  it.each([
    ["a superuser", "su", "superuser login", "has SUPERUSER"],
    ["a role that may create roles and databases", "cr", "createrole createdb login", "has CREATEROLE, CREATEDB"],
    ["a role that bypasses row security", "rls", "bypassrls login", "has BYPASSRLS"],
    ["a replication role", "rep", "replication login", "has REPLICATION"],
    ["a plain role not made by the bootstrap", "other", "login", "was not made by an ecom store bootstrap"],
    [
      "a role marked for another store",
      "mark",
      "login",
      'was not made by an ecom store bootstrap for this store (its comment is "ecom:elsewhere:catalog"',
    ],
    ["a member of another role", "member", "login", "is a member of pg_read_all_data"],
  ])("refuses to adopt %s of a store role's name, saying why", async (_name, suffix, options, why) => {
    const namespace = `${database.name}_${suffix}`;
    const role = `${namespace}_catalog`;
    await withAdminClient(async (client) => {
      await client.query(`create role "${role}" ${options}`);
      if (suffix === "mark") await client.query(`comment on role "${role}" is 'ecom:elsewhere:catalog'`);
      if (suffix === "member") await client.query(`grant pg_read_all_data to "${role}"`);
    });
    await expect(bootstrapPostgres({ url: database.url, namespace, schemas: ["catalog"] })).rejects.toThrow(
      `the role ${role} exists and ${why}`,
    );
  });
});
