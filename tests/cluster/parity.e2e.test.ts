import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import {
  CANONICAL_TABLES,
  type CanonicalExport,
  createPlatform,
  exportPlatformState,
  storeNamespace,
} from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runEcom } from "../../packages/cli/src/__fixtures__/run-ecom.js";
import { describePostgresNats, type PostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase } from "../backends/test-database.js";
import { type EcomChild, killAllEcomChildren, startEcom } from "./ecom-children.js";
import { runParityScenario } from "./parity-scenario.js";

// Parity (issue 16): one scenario — checkouts, a declined card, a refund, a return, reviews, price changes — run on
// the embedded default (SQLite files, the in-process log, one process, seeded) and on PostgreSQL + NATS JetStream
// split over three `ecom serve --contexts …` child processes behind an `ecom gateway` child, as a user runs them,
// ends with the same orders, payments, stock and read models. Between steps the scenario waits on the gateway's
// `POST /_sim/settle` (every process settled, in rounds until one publishes nothing more). They are compared as
// canonical exports (`ecom sim export`, packages/simulator/src/canonical-export/): timestamps, correlation and event
// ids, attempt counts, the processor's references and search's full-text index (its scores) are left out, and ids
// are replaced by their rank within their prefix, since the two runs share neither a clock nor random digits.

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
  }, 900_000);
  afterAll(async () => {
    await killAllEcomChildren();
  });

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
 * The scenario through an `ecom gateway` child in front of three `ecom serve` children, on a database and namespace
 * of its own; their export, and what `ecom sim export --store` prints of the same database.
 */
async function runSplit(backend: PostgresNats): Promise<{ exported: CanonicalExport; printed: string }> {
  const database = await createTestDatabase();
  const namespace = storeNamespace(database.url);
  const children: EcomChild[] = [];
  const start = (command: "serve" | "gateway", args: string[]) => {
    const child = startEcom(command, args);
    children.push(child);
    return child.url;
  };
  try {
    // One after another: the first makes the database's roles, each migrates and seeds its own contexts.
    for (const share of SHARES)
      await start("serve", ["--contexts", share.join(","), "--store", database.url, "--bus", backend.busUrl]);
    const gatewayUrl = await start("gateway", ["--store", database.url, "--bus", backend.busUrl, "--port", "0"]);
    await until(async () => {
      const health = (await (await fetch(`${gatewayUrl}/healthz`)).json()) as ClusterHealth;
      return health.processes.length === SHARES.length && health.unserved.length === 0;
    }, "the gateway sees every context served");
    const settle = () => settleThrough(gatewayUrl);
    await settle();
    await runParityScenario({ baseUrl: gatewayUrl, settle });
    return {
      exported: await exportPlatformState({ storeUrl: database.url }),
      printed: await ecomSimExport("--store", database.url),
    };
  } catch (error) {
    // What the children said is where a failing step is explained.
    const said = children.map(
      (child) => `ecom ${child.child.spawnargs.slice(2, 5).join(" ")}:\n${child.stderr().slice(-4_000)}`,
    );
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${said.join("\n")}`, { cause: error });
  } finally {
    await killAllEcomChildren();
    await createTestNamespace(namespace).drop();
    await database.drop();
  }
}

/** What the gateway's `/healthz` says that this test waits on. */
interface ClusterHealth {
  readonly processes: readonly unknown[];
  readonly unserved: readonly string[];
}

/** `POST <gateway>/_sim/settle`: resolves once every process settled; throws with the gateway's problem otherwise. */
async function settleThrough(gatewayUrl: string): Promise<void> {
  // Generous: each step's events cross three processes on a machine other tests share.
  const response = await fetch(`${gatewayUrl}/_sim/settle`, { method: "POST", body: '{"timeout":"5m"}' });
  if (!response.ok) throw new Error(`the split platform did not settle (${response.status}): ${await response.text()}`);
}

/** Ask `check` until it holds; a generous real-time bound fails the test instead of hanging it. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What `ecom sim export …` prints, run in-process; throws with its stderr when it fails. */
async function ecomSimExport(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await runEcom("sim", "export", ...args);
  if (code !== 0) throw new Error(`ecom sim export exited ${code}: ${stderr}`);
  return stdout;
}
