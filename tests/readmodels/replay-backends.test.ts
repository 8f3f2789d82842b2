import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { projectedTypes } from "@ecom/services/platform";
import type { Platform } from "@ecom/simulator";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import Database from "better-sqlite3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { jetStreamNames } from "../../packages/simulator/src/bus/jetstream-names.js";
import { lockContexts } from "../../packages/simulator/src/cluster/context-locks.js";
import { openRegistry } from "../../packages/simulator/src/cluster/registry.js";
import { type Backend, describeBackends, describePostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { BUS_URL } from "../backends/probe.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "../backends/test-database.js";
import { ecom, READ_MODELS, runScenario, type ScenarioStores } from "./replay-scenario.js";

// `ecom replay --verify` on both backends from one code path: the same seeded day of trade, the same commands; only
// where the platform keeps its state (a data folder, or PostgreSQL and NATS) and how a row is tampered with differ.

/** A replay on PostgreSQL runs many statements per event: several replays in one test take their time on a busy machine. */
const REPLAYS = 300_000;

/** A platform's state on one backend, as the test reaches it. */
interface ReplayTarget {
  readonly stores: ScenarioStores;
  /** `ecom replay`'s arguments naming it. */
  readonly args: readonly string[];
  /** Run one statement on a context's store, changing one row. */
  tamper(context: string, statement: string): Promise<void>;
  /** The rows of every read-model table, in a stable order. */
  dump(): Promise<string>;
  drop(): Promise<void>;
}

async function openTarget(backend: Backend): Promise<ReplayTarget> {
  if (backend.kind === "embedded") {
    const dataDir = mkdtempSync(join(tmpdir(), "ecom-replay-"));
    const inStore = <T>(context: string, work: (db: Database.Database) => T): T => {
      const db = new Database(join(dataDir, `${context}.db`));
      try {
        return work(db);
      } finally {
        db.close();
      }
    };
    return {
      stores: { dataDir },
      args: ["--data", dataDir],
      async tamper(context, statement) {
        expect(inStore(context, (db) => db.prepare(statement).run().changes)).toBe(1);
      },
      async dump() {
        const rows = READ_MODELS.map(({ context, table }) =>
          inStore(context, (db) =>
            db
              .prepare(`select * from "${table}"`)
              .all()
              .map((row) => JSON.stringify(row)),
          ),
        );
        return JSON.stringify(rows.map((table) => table.sort()));
      },
      async drop() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const database = await createTestDatabase();
  return {
    stores: { backends: { storeUrl: database.url, busUrl: backend.busUrl } },
    args: ["--store", database.url, "--bus", backend.busUrl],
    async tamper(context, statement) {
      const { rowCount } = await withAdminClient(async (client) => {
        await client.query(`set search_path = "${context}"`);
        return client.query(statement);
      }, database.url);
      expect(rowCount).toBe(1);
    },
    async dump() {
      return withAdminClient(async (client) => {
        const tables = [];
        for (const { context, table } of READ_MODELS) {
          const { rows } = await client.query<{ row: string }>(
            `select row_to_json(t)::text as row from "${context}"."${table}" t order by 1`,
          );
          tables.push(rows.map((row) => row.row));
        }
        return JSON.stringify(tables);
      }, database.url);
    },
    async drop() {
      await createTestNamespace(database.name).drop();
      await database.drop();
    },
  };
}

describeBackends("ecom replay --verify", (backend) => {
  let target: ReplayTarget;
  let original: string;

  beforeAll(async () => {
    target = await openTarget(backend);
    await runScenario(target.stores, 31);
    original = await target.dump();
  }, 180_000);
  afterAll(async () => {
    await target?.drop();
  });

  it(
    "finds the live read models identical to a rebuild from the log",
    async () => {
      const verify = await ecom("replay", ...target.args, "--verify");
      expect(verify.stderr).toBe("");
      expect(verify.code).toBe(0);
      expect(verify.stdout).toMatch(
        /^replay: 10 read models of 5 contexts identical to a rebuild from [\d,]+ events in /,
      );
      expect(await target.dump()).toBe(original);
    },
    REPLAYS,
  );

  it(
    "names a tampered row by its key and exits 1, and a rebuild makes it identical again",
    async () => {
      await target.tamper("search", "update search_documents set price_amount = price_amount + 1 where doc_id = 3");
      await target.tamper("analytics", "update daily_revenue set gross_amount = 0 where date = '2026-01-01'");

      const verify = await ecom("replay", ...target.args, "--verify");
      expect(verify.code).toBe(1);
      expect(verify.stdout).toContain(
        "search.search_documents: 1 rows not in the rebuild, 1 rows of the rebuild missing; e.g. doc_id=3\n",
      );
      expect(verify.stdout).toContain(
        "analytics.daily_revenue: 1 rows not in the rebuild, 1 rows of the rebuild missing; e.g. date=2026-01-01,currency=USD\n",
      );
      const json = await ecom("replay", ...target.args, "--verify", "--json", "--context", "analytics");
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({
        verified: true,
        identical: false,
        contexts: [{ context: "analytics", differences: [{ table: "daily_revenue", unexpected: 1, missing: 1 }] }],
      });

      const rebuild = await ecom("replay", ...target.args);
      expect(rebuild.code).toBe(0);
      expect(rebuild.stdout).toMatch(/^replay: 10 read models of 5 contexts rebuilt from [\d,]+ events in /);
      expect(await target.dump()).toBe(original);
      expect((await ecom("replay", ...target.args, "--verify")).code).toBe(0);
    },
    REPLAYS,
  );
});

describePostgresNats("ecom replay on PostgreSQL and NATS", (backend) => {
  let database: TestDatabase;
  const args = () => ["--store", database.url, "--bus", backend.busUrl];

  beforeAll(async () => {
    database = await createTestDatabase();
    // An order.paid the stream holds twice, as a relay that republished it past the duplicate window leaves it:
    // analytics' subscriber skips the second (its inbox), and so must replay, or the day's revenue counts it twice.
    await runScenario({ backends: { storeUrl: database.url, busUrl: backend.busUrl } }, 31, (platform) =>
      republishOrderPaid(platform, jetStreamNames(database.name).stream),
    );
  }, 180_000);
  afterAll(async () => {
    await createTestNamespace(database?.name).drop();
    await database?.drop();
  });

  it(
    "reads each event once, however often the stream holds it",
    async () => {
      const verify = await ecom("replay", ...args(), "--verify", "--context", "analytics", "--json");
      expect(verify.code).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ identical: true, contexts: [{ context: "analytics" }] });
    },
    REPLAYS,
  );

  it(
    "leaves no scratch schema behind",
    async () => {
      await ecom("replay", ...args(), "--verify");
      const { rows } = await withAdminClient(
        (client) => client.query("select nspname from pg_namespace where nspname like '%\\_replay\\_%'"),
        database.url,
      );
      expect(rows).toEqual([]);
    },
    REPLAYS,
  );

  it(
    "refuses contexts a process serves (its lock in PostgreSQL), in one line, changing nothing",
    async () => {
      // As `ecom serve --contexts review` holds it.
      const serving = await lockContexts({
        url: database.url,
        namespace: database.name,
        contexts: ["review"],
        processId: "serving-review",
        onLost: () => {},
      });
      try {
        const refused = await ecom("replay", ...args(), "--context", "review");
        expect(refused.code).toBe(2);
        expect(refused.stderr).toBe(
          "ecom: review is being served (a process holds its lock in PostgreSQL): stop the platform before replaying its read models\n",
        );
      } finally {
        await serving.release();
      }
      expect((await ecom("replay", ...args(), "--context", "review", "--verify")).code).toBe(0);
    },
    REPLAYS,
  );

  it("refuses contexts a process claims in the registry, naming it", async () => {
    const connection = await connect({ servers: backend.busUrl });
    const registry = await openRegistry({ connection, namespace: database.name });
    const registration = await registry.register({
      id: "serving-search",
      url: "http://127.0.0.1:4999",
      contexts: ["search"],
    });
    try {
      const refused = await ecom("replay", ...args(), "--context", "search", "--verify");
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^ecom: search is served by process serving-search at http:\/\/127\.0\.0\.1:4999 \(since [^)]+\): stop it before replaying its read models\n$/,
      );
    } finally {
      await registration.stop();
      await connection.close();
    }
  });

  it("refuses another namespace, --data with --store, and --store alone, in one line each", async () => {
    const other = await ecom("replay", ...args(), "--namespace", "nothing_here");
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /^ecom: the schema \w+ belongs to the role ecomt_\w+, not nothing_here_\w+: pass the platform's --namespace\n$/,
    );
    const both = await ecom("replay", "--data", ".", ...args());
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^ecom: --data names a data folder .* pass one of them\n$/);
    const alone = await ecom("replay", "--store", database.url);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/^ecom: --store needs --bus/);
  });

  it("names a NATS that does not answer without the token its URL carries", async () => {
    const refused = await ecom("replay", "--store", database.url, "--bus", "nats://s3cret@127.0.0.1:1");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^ecom: NATS at nats:\/\/127\.0\.0\.1:1 does not answer \(/);
    expect(refused.stderr).not.toContain("s3cret");
  });
});

/** Publish the stream's first order.paid again under another message id, then let the platform settle. */
async function republishOrderPaid(platform: Platform, stream: string): Promise<void> {
  const analytics = allContexts.find((module) => module.name === "analytics")!;
  expect(projectedTypes(analytics.projections ?? [])).toContain("ecommerce.order.order.paid.v1");
  const [paid] = await platform.bus.read({ afterSeq: 0, types: ["ecommerce.order.order.paid.v1"], limit: 1 });
  if (!paid) throw new Error("the scenario paid no order");
  const connection = await connect({ servers: BUS_URL });
  try {
    const manager = await jetstreamManager(connection);
    const message = await manager.direct.getMessage(stream, { seq: paid.seq });
    await jetstream(connection).publish(message!.subject, message!.data, { msgID: `${paid.eventId}-again` });
  } finally {
    await connection.close();
  }
  await platform.settle();
}
