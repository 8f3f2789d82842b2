import { describe, expect, it } from "vitest";
import { ALL_BACKENDS, backendProbe, backends, describePostgresNats, runsOn, suiteName } from "./backends.js";
import { probeBackends, skipLine } from "./probe.js";

describe("the backend probe", () => {
  // Port 1 (tcpmux): nothing listens there and an unprivileged process cannot take it.
  it("names each server that does not answer, and what to do about it", async () => {
    const probe = await probeBackends("postgres://postgres@127.0.0.1:1/postgres", "nats://127.0.0.1:1");
    expect(probe).toEqual({
      available: false,
      reason:
        "nothing answers at 127.0.0.1:1 (start PostgreSQL, or set ECOM_STORE_URL); " +
        "nothing answers at 127.0.0.1:1 (start nats-server -js, or set ECOM_BUS_URL)",
    });
    if (!probe.available)
      expect(skipLine(probe.reason)).toMatch(/^PostgreSQL\/NATS tests skipped: nothing answers at 127\.0\.0\.1:1 /);
  });

  it("uses the scheme's port when the URL names none", async () => {
    const probe = await probeBackends("postgres://postgres@127.0.0.1/postgres", "nats://127.0.0.1");
    // Whatever answers on this machine, the reason (if any) names 5432 and 4222.
    if (!probe.available) expect(probe.reason).toMatch(/127\.0\.0\.1:(5432|4222)/);
  });

  it("always runs embedded, and postgres+nats only when the probe found both", () => {
    expect(backends[0]).toEqual({ kind: "embedded" });
    expect(runsOn(ALL_BACKENDS[1]!)).toBe(backendProbe.available || process.env.ECOM_BACKENDS_REQUIRED === "1");
    expect(suiteName("the checkout", ALL_BACKENDS[1]!)).toBe("the checkout [postgres+nats]");
  });
});

describePostgresNats("a test database and namespace of the file's own", (backend) => {
  it("PostgreSQL: made with C collation, so text orders as SQLite's BINARY; dropped with its roles", async () => {
    const { createTestDatabase, withAdminClient } = await import("./test-database.js");
    const database = await createTestDatabase();
    const other = await createTestDatabase();
    try {
      expect(database.name).toMatch(new RegExp(`^ecomt_${process.pid}_\\d+$`));
      expect(other.name).not.toBe(database.name);
      const ordered = await withAdminClient(async (client) => {
        const { rows } = await client.query<{ v: string }>(
          "select v from (values ('b'), ('a'), ('_'), ('B')) t(v) order by v",
        );
        return rows.map((row) => row.v);
      }, database.url);
      expect(ordered).toEqual(["B", "_", "a", "b"]);
      await withAdminClient((client) => client.query(`create role "${database.name}_order"`));
      await database.drop();
      const left = await withAdminClient(async (client) => {
        const databases = await client.query("select 1 from pg_database where datname = $1", [database.name]);
        const roles = await client.query("select 1 from pg_roles where rolname = $1", [`${database.name}_order`]);
        const others = await client.query("select 1 from pg_database where datname = $1", [other.name]);
        return { databases: databases.rowCount, roles: roles.rowCount, others: others.rowCount };
      });
      expect(left).toEqual({ databases: 0, roles: 0, others: 1 });
    } finally {
      await database.drop();
      await other.drop();
    }
  });

  it("NATS: dropping a namespace deletes its streams and buckets, not another namespace's", async () => {
    const { createTestNamespace } = await import("./nats-namespace.js");
    const { connect } = await import("@nats-io/transport-node");
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const mine = createTestNamespace();
    const theirs = createTestNamespace();
    const connection = await connect({ servers: backend.busUrl });
    try {
      const manager = await jetstreamManager(connection);
      const streams = [
        [`ECOM_${mine.name.toUpperCase()}_EVENTS`, `${mine.name}.events.>`],
        [`KV_ecom_${mine.name}_registry`, `$KV.ecom_${mine.name}_registry.>`],
        [`ECOM_${theirs.name.toUpperCase()}_EVENTS`, `${theirs.name}.events.>`],
      ] as const;
      for (const [name, subject] of streams) await manager.streams.add({ name, subjects: [subject] });
      await mine.drop();
      const left: string[] = [];
      for await (const name of manager.streams.names())
        if (streams.some(([stream]) => stream === name)) left.push(name);
      expect(left).toEqual([`ECOM_${theirs.name.toUpperCase()}_EVENTS`]);
    } finally {
      await mine.drop();
      await theirs.drop();
      await connection.close();
    }
  });
});
