import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts, devAccounts } from "@ecom/services";
import {
  CANONICAL_TABLES,
  type CanonicalExport,
  type ClusterMembership,
  createPlatform,
  exportPlatformState,
  type Gateway,
  joinCluster,
  type Platform,
  type RegistryView,
  startGateway,
  storeNamespace,
} from "@ecom/simulator";
import { beforeAll, expect, it } from "vitest";
import { runEcom } from "../../packages/cli/src/__fixtures__/run-ecom.js";
import { describePostgresNats, type PostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../backends/test-database.js";
import { runParityScenario } from "./parity-scenario.js";

// Parity (issue 16): one scenario — checkouts, a declined card, a refund, a return, reviews, price changes — run on
// the embedded default (SQLite files, the in-process log, one process, seeded) and on PostgreSQL + NATS JetStream
// split over three processes behind the gateway (as `ecom serve --contexts …` ×3 and `ecom gateway` run them: here
// three platforms in this test process on ports of their own, calling each other over HTTP with service tokens),
// ends with the same orders, payments, stock and read models. They are compared as canonical exports (`ecom sim
// export`, packages/simulator/src/canonical-export/): timestamps, correlation and event ids, attempt counts, the
// processor's references and search's full-text index (its scores) are left out, and ids are replaced by their rank
// within their prefix, since the two runs share neither a clock nor random digits.

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };

const SHARES = [
  ["order", "payment", "promotion"],
  ["inventory", "cart", "customer", "fulfilment"],
  ["catalog", "search", "review", "notification", "analytics"],
];

describePostgresNats("parity of one scenario on the embedded platform and split over three processes", (backend) => {
  let embedded: CanonicalExport;
  let split: CanonicalExport;
  let printed: string;

  beforeAll(async () => {
    embedded = await runEmbedded();
    ({ exported: split, printed } = await runSplit(backend));
  }, 600_000);

  it.each(CANONICAL_TABLES.map(([context]) => context))("%s ends with the same rows", (context) => {
    const of = (exported: CanonicalExport) =>
      Object.fromEntries(Object.entries(exported).filter(([name]) => name.startsWith(`${context}.`)));
    expect(of(split)).toEqual(of(embedded));
  });

  it("prints the same export with ecom sim export --store", () => {
    expect(JSON.parse(printed)).toEqual(split);
  });

  it("compares a scenario that did what it says (the exports are not of two empty platforms)", () => {
    const rows = (name: string) => embedded[name] ?? [];
    const sorted = (name: string, column: string) =>
      rows(name)
        .map((row) => String(row[column]))
        .sort();
    expect(sorted("order.orders", "status")).toEqual(["CANCELED", "DELIVERED", "PAID", "PAID"]);
    expect(sorted("order.checkouts", "state")).toEqual(["COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED", "FAILED"]);
    expect(sorted("payment.payments", "failure_code")).toContain("card_declined");
    expect(sorted("payment.refunds", "reason")).toEqual(["goodwill", "order_canceled", "return_received"]);
    expect(rows("promotion.redemptions")).toMatchObject([{ coupon_code: "WELCOME10" }]);
    expect(rows("fulfilment.returns")).toMatchObject([{ status: "RECEIVED", condition: "SELLABLE" }]);
    expect(sorted("review.reviews", "status")).toEqual([
      "PUBLISHED",
      "PUBLISHED",
      "PUBLISHED",
      "PUBLISHED",
      "REJECTED",
    ]);
    expect(sorted("catalog.product_ratings", "average")).toEqual(["4.33", "5"]);
    expect(rows("catalog.price_history").filter((entry) => entry.reason !== "STANDARD")).toHaveLength(2);
  });
});

/** The scenario on a seeded embedded platform in a data folder of its own; its export once the platform is closed. */
async function runEmbedded(): Promise<CanonicalExport> {
  const dataDir = mkdtempSync(join(tmpdir(), "ecom-parity-"));
  try {
    const platform = await createPlatform({ contexts: allContexts, dataDir, seed: 16, log: quiet });
    try {
      await runParityScenario({ baseUrl: "http://ecom.test", fetch: platform.fetch, settle: () => platform.settle() });
    } finally {
      await platform.close();
    }
    return await exportPlatformState({ dataDir });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The scenario through the gateway of three processes on a database and namespace of its own; their export, and what
 * `ecom sim export --store` prints of the same database.
 */
async function runSplit(backend: PostgresNats): Promise<{ exported: CanonicalExport; printed: string }> {
  const database: TestDatabase = await createTestDatabase();
  const namespace = storeNamespace(database.url);
  const processes: { platform: Platform; membership: ClusterMembership }[] = [];
  let gateway: Gateway | undefined;
  try {
    // One after another: each migrates and seeds its own contexts (the database's roles are made by the first).
    for (const share of SHARES) {
      const joined: { view?: RegistryView } = {};
      const platform = await createPlatform({
        contexts: allContexts.filter((module) => share.includes(module.name)),
        log: quiet,
        devAccounts,
        backends: { storeUrl: database.url, busUrl: backend.busUrl },
        split: { registry: { urlOf: (context) => joined.view?.urlOf(context) } },
      });
      const url = await platform.listen(0);
      const membership = await joinCluster({
        member: platform,
        connection: backend.busUrl,
        namespace,
        contexts: share,
        url,
        log: quiet,
      });
      joined.view = membership.view;
      processes.push({ platform, membership });
    }
    const contexts = SHARES.flat();
    const started = await startGateway({
      bus: backend.busUrl,
      namespace,
      contexts,
      port: 0,
      host: "127.0.0.1",
      log: quiet,
    });
    gateway = started;
    await untilRegistered(() => contexts.every((context) => started.view.urlOf(context) !== undefined));
    const platforms = processes.map(({ platform }) => platform);
    await settleCluster(platforms);
    await runParityScenario({ baseUrl: started.url, settle: () => settleCluster(platforms) });
    return {
      exported: await exportPlatformState({ storeUrl: database.url }),
      printed: await ecomSimExport("--store", database.url),
    };
  } finally {
    await gateway?.close();
    for (const { platform, membership } of processes) {
      await membership.leave();
      await platform.close();
    }
    await createTestNamespace(namespace).drop();
    await database.drop();
  }
}

/**
 * Settle a split platform: each process settles its own contexts (outboxes relayed, subscribers caught up with the
 * stream, sagas ended), in rounds until a whole round adds nothing to the stream — an event one process publishes
 * while another settles is delivered in the next round.
 */
async function settleCluster(platforms: readonly Platform[]): Promise<void> {
  const log = platforms[0]!.bus;
  for (let round = 0; round < 100; round++) {
    const before = await log.lastSeq();
    for (const platform of platforms) await platform.settle();
    if ((await log.lastSeq()) === before) return;
  }
  throw new Error("the split platform did not settle: events keep producing events");
}

/** Wait for the gateway's registry watcher to have heard of every process (it hears on its own time). */
async function untilRegistered(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("the gateway never saw every context registered");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What `ecom sim export …` prints, run in-process; throws with its stderr when it fails. */
async function ecomSimExport(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runEcom("sim", "export", ...args);
  if (code !== 0) throw new Error(`ecom sim export exited ${code}: ${stderr}`);
  return stdout;
}
