import { storeNamespace } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runEcom } from "../../packages/cli/src/__fixtures__/run-ecom.js";
import { describePostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../backends/test-database.js";
import { killAllEcomChildren, startEcom } from "./ecom-children.js";

// `ecom sim up --store --bus` claims every context as `ecom serve` claims its own: before it took neither a registry
// claim nor a lock, so an `ecom serve` of a context it ran remade that context's consumer under it, and `ecom replay`
// could rewrite its read models while it served them.

describePostgresNats("ecom sim up on PostgreSQL and NATS", (backend) => {
  let database: TestDatabase;
  let namespace: string;
  let simUrl: string;
  const backends = () => ["--store", database.url, "--bus", backend.busUrl];

  beforeAll(async () => {
    database = await createTestDatabase();
    namespace = storeNamespace(database.url);
    simUrl = await startEcom("sim", ["up", ...backends(), "--port", "0"]).url;
  }, 180_000);
  afterAll(async () => {
    await killAllEcomChildren();
    await createTestNamespace(namespace).drop();
    await database?.drop();
  });

  it("refuses an ecom serve of a context it runs, in one line naming it", async () => {
    const { code, stderr } = await startEcom("serve", ["--contexts", "order", ...backends()]).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^ecom: order is already served by process \S+ at (\S+) \(since [^)]+\)\. .*\n$/);
    expect(stderr).toContain(`at ${simUrl} `);
  });

  it("refuses an ecom replay of the read models it serves, in one line", async () => {
    const refused = await runEcom("replay", ...backends(), "--context", "search");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      "ecom: search is being served (a process holds its lock in PostgreSQL): stop the platform before replaying its read models\n",
    );
  });
});
