import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import {
  CANONICAL_TABLES,
  type CanonicalExport,
  createPlatform,
  exportPlatformState,
  type Platform,
} from "@ecom/simulator";
import { beforeAll, expect, it } from "vitest";
import { runEcom } from "../../packages/cli/src/__fixtures__/run-ecom.js";
import { describePostgresNats, type PostgresNats } from "../backends/backends.js";
import { runParityScenario } from "./parity-scenario.js";
import { startSplitCluster } from "./split-cluster.js";

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
  const cluster = await startSplitCluster(backend.busUrl, SHARES);
  try {
    await settleCluster(cluster.platforms);
    await runParityScenario({ baseUrl: cluster.gateway.url, settle: () => settleCluster(cluster.platforms) });
    return {
      exported: await exportPlatformState({ storeUrl: cluster.database.url }),
      printed: await ecomSimExport("--store", cluster.database.url),
    };
  } finally {
    await cluster.close();
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

/** What `ecom sim export …` prints, run in-process; throws with its stderr when it fails. */
async function ecomSimExport(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runEcom("sim", "export", ...args);
  if (code !== 0) throw new Error(`ecom sim export exited ${code}: ${stderr}`);
  return stdout;
}
