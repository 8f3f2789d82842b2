import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { createPlatform, replayReadModels } from "@ecom/simulator";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ecom, READ_MODELS, runScenario } from "./replay-scenario.js";
import { quiet } from "./scenario.js";

/** The rows of every read-model table (and, to see replay leaves them alone, the fact tables beside them). */
function dump(dataDir: string, tables: readonly { context: string; table: string }[]): string {
  const out: Record<string, unknown[]> = {};
  for (const { context, table } of tables) {
    const db = new Database(join(dataDir, `${context}.db`), { readonly: true });
    try {
      const columns = (db.prepare("select name from pragma_table_info(?)").all(table) as { name: string }[]).map(
        (column) => `"${column.name}"`,
      );
      const virtual = /^create virtual/i.test(
        (db.prepare("select sql from sqlite_master where name = ?").get(table) as { sql: string }).sql,
      );
      const selected = [...(virtual ? ["rowid"] : []), ...columns].join(", ");
      out[`${context}.${table}`] = db.prepare(`select ${selected} from "${table}" order by ${selected}`).all();
    } finally {
      db.close();
    }
  }
  return JSON.stringify(out);
}

const FACTS = [
  { context: "review", table: "reviews" },
  { context: "review", table: "review_flags" },
  { context: "search", table: "search_interactions" },
  { context: "catalog", table: "products" },
];

function tamper(dataDir: string, context: string, statement: string): void {
  const db = new Database(join(dataDir, `${context}.db`));
  try {
    expect(db.prepare(statement).run().changes).toBe(1);
  } finally {
    db.close();
  }
}

/**
 * A statement deleting the last row of `table` by its primary key (or its rowid when it declares none): some read
 * models are WITHOUT ROWID tables on SQLite, where no `rowid` column exists.
 */
function deleteLastRow(dataDir: string, context: string, table: string): string {
  const db = new Database(join(dataDir, `${context}.db`), { readonly: true });
  try {
    const columns = db.pragma(`table_info("${table}")`) as { name: string; pk: number }[];
    const declared = columns.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk);
    const key = declared.length > 0 ? declared.map((column) => `"${column.name}"`) : ["rowid"];
    return `delete from "${table}" where (${key.join(", ")}) =
      (select ${key.join(", ")} from "${table}" order by ${key.map((column) => `${column} desc`).join(", ")} limit 1)`;
  } finally {
    db.close();
  }
}

let dataDir: string;
let original: string;
let originalFacts: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ecom-replay-"));
  await runScenario({ dataDir }, 31);
  original = dump(dataDir, READ_MODELS);
  originalFacts = dump(dataDir, FACTS);
}, 120_000);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("ecom replay", () => {
  it("covers every read model: catalog's product ratings, inventory's product SKUs, search, review's purchases and ratings, analytics", () => {
    expect(READ_MODELS.map((model) => `${model.context}.${model.projection}`)).toEqual(
      expect.arrayContaining([
        "catalog.product_rating",
        "inventory.product_sku",
        "search.search_document",
        "search.facet",
        "search.trending",
        "search.inventory_snapshot",
        "review.verified_purchase",
        "review.rating_aggregate",
        "analytics.orders_by_customer",
        "analytics.daily_revenue",
      ]),
    );
    // Every table is filled by the scenario, so the checks below touch real rows.
    const counts = JSON.parse(original) as Record<string, unknown[]>;
    for (const [table, rows] of Object.entries(counts)) expect(rows.length, table).toBeGreaterThan(0);
  });

  it("finds the live read models identical to a rebuild from the log", async () => {
    const report = await replayReadModels({ dataDir, contexts: allContexts, verify: true });
    expect(report.contexts.map((context) => context.context).sort()).toEqual([
      "analytics",
      "catalog",
      "inventory",
      "review",
      "search",
    ]);
    expect(report.contexts.flatMap((context) => context.differences)).toEqual([]);
    expect(report.events).toBeGreaterThan(0);
    expect(dump(dataDir, READ_MODELS)).toBe(original);
  });

  it("rebuilds the read models byte for byte, in small pages, and leaves the facts beside them alone", async () => {
    const progress: number[] = [];
    await replayReadModels({
      dataDir,
      contexts: allContexts,
      pageSize: 7,
      onProgress: ({ applied }) => progress.push(applied),
    });
    expect(progress.length).toBeGreaterThan(10);
    expect(dump(dataDir, READ_MODELS)).toBe(original);
    expect(dump(dataDir, FACTS)).toBe(originalFacts);
  });

  it.each(READ_MODELS.map((model) => [`${model.context}.${model.table}`, model] as const))(
    "names a deleted row of %s, and replay repairs it",
    async (_name, { context, table }) => {
      tamper(dataDir, context, deleteLastRow(dataDir, context, table));
      const broken = await replayReadModels({ dataDir, contexts: allContexts, only: [context], verify: true });
      const differences = broken.contexts[0]!.differences;
      expect(differences.map((difference) => difference.table)).toEqual([table]);
      expect(differences[0]).toMatchObject({ unexpected: 0, missing: 1 });
      expect(differences[0]!.keys).toHaveLength(1);

      await replayReadModels({ dataDir, contexts: allContexts, only: [context] });
      expect(dump(dataDir, READ_MODELS)).toBe(original);
    },
  );

  it("names an altered row by its key, exits 1 from the CLI, and the CLI's replay repairs it", async () => {
    tamper(dataDir, "search", "update search_documents set price_amount = price_amount + 1 where doc_id = 3");
    tamper(dataDir, "analytics", "update daily_revenue set gross_amount = 0 where date = '2026-01-01'");
    const productId = (
      new Database(join(dataDir, "search.db"), { readonly: true })
        .prepare("select product_id from search_documents where doc_id = 3")
        .get() as { product_id: string }
    ).product_id;

    const verify = await ecom("replay", "--data", dataDir, "--verify");
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain(
      "search.search_documents: 1 rows not in the rebuild, 1 rows of the rebuild missing",
    );
    expect(verify.stdout).toContain("doc_id=3");
    expect(verify.stdout).toContain("analytics.daily_revenue");
    expect(verify.stdout).toContain("date=2026-01-01,currency=USD");
    expect(productId).toMatch(/^prd_/);

    const json = await ecom("replay", "--data", dataDir, "--verify", "--json", "--context", "analytics");
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verified: true,
      identical: false,
      contexts: [{ context: "analytics", differences: [{ table: "daily_revenue", unexpected: 1, missing: 1 }] }],
    });

    const repair = await ecom("replay", "--data", dataDir);
    expect(repair.code).toBe(0);
    expect(repair.stdout).toMatch(/^replay: 10 read models of 5 contexts rebuilt from [\d,]+ events in /);
    expect((await ecom("replay", "--data", dataDir, "--verify")).code).toBe(0);
    expect(dump(dataDir, READ_MODELS)).toBe(original);
  });

  it("refuses bad arguments with exit 2 and a one-line message, changing nothing", async () => {
    const missing = await ecom("replay", "--data", join(dataDir, "nowhere"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^ecom: --data .* does not exist/);
    const order = await ecom("replay", "--data", dataDir, "--context", "order");
    expect(order.code).toBe(2);
    expect(order.stderr).toContain("order keeps no read model; choose from");
    expect(dump(dataDir, READ_MODELS)).toBe(original);
  });
});

describe("a folder a simulator holds", () => {
  it("is refused, naming the simulator, and left alone", async () => {
    const platform = await createPlatform({ contexts: allContexts, dataDir, seed: 31, log: quiet });
    try {
      await expect(replayReadModels({ dataDir, contexts: allContexts })).rejects.toThrow(/is in use by pid \d+/);
      const cli = await ecom("replay", "--data", dataDir, "--verify");
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/^ecom: the data folder .* is in use by pid/);
    } finally {
      await platform.close();
    }
    expect(
      (await replayReadModels({ dataDir, contexts: allContexts, verify: true })).contexts.flatMap((c) => c.differences),
    ).toEqual([]);
  });
});

describe("a lost store", () => {
  const files = (context: string) => ["", "-wal", "-shm"].map((suffix) => join(dataDir, `${context}.db${suffix}`));

  it("of a context that keeps only read models is made anew from the whole log", async () => {
    for (const file of files("analytics")) rmSync(file, { force: true });
    await expect(
      replayReadModels({ dataDir, contexts: allContexts, only: ["analytics"], verify: true }),
    ).rejects.toThrow(/analytics\.db is missing or emptied; run ecom replay without --verify/);
    const report = await replayReadModels({ dataDir, contexts: allContexts, only: ["analytics"] });
    expect(report.contexts[0]!.events).toBeGreaterThan(0);
    expect(dump(dataDir, READ_MODELS)).toBe(original);
    const store = new Database(join(dataDir, "analytics.db"), { readonly: true });
    const log = new Database(join(dataDir, "events.db"), { readonly: true });
    try {
      // Its subscriber resumes after the log's end, not from the start (which would count every order twice).
      expect(store.prepare("select seq from _cursor where name = 'subscriptions'").get()).toEqual(
        log.prepare("select max(seq) as seq from event_log").get(),
      );
    } finally {
      store.close();
      log.close();
    }
  });

  it("of search is made anew with its read models rebuilt, and its recorded interactions reported lost", async () => {
    const searchModels = READ_MODELS.filter((model) => model.context === "search");
    const expected = dump(dataDir, searchModels);
    const kept = join(dataDir, "search.db.kept");
    renameSync(join(dataDir, "search.db"), kept);
    for (const file of files("search").slice(1)) rmSync(file, { force: true });
    try {
      const result = await ecom("replay", "--data", dataDir, "--context", "search");
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(
        "search.db was lost: made anew with its read models rebuilt from the log; lost for good: search_interactions",
      );
      expect(dump(dataDir, searchModels)).toBe(expected);
      expect(dump(dataDir, [{ context: "search", table: "search_interactions" }])).toBe(
        JSON.stringify({ "search.search_interactions": [] }),
      );
    } finally {
      for (const file of files("search")) rmSync(file, { force: true });
      renameSync(kept, join(dataDir, "search.db"));
    }
    expect(dump(dataDir, READ_MODELS)).toBe(original);
    expect(dump(dataDir, FACTS)).toBe(originalFacts);
  });

  it("of a context that also kept facts is refused, naming them, and left alone", async () => {
    const kept = join(dataDir, "review.db.kept");
    renameSync(join(dataDir, "review.db"), kept);
    try {
      await expect(replayReadModels({ dataDir, contexts: allContexts, only: ["review"] })).rejects.toThrow(
        /review\.db is missing or emptied, and review kept original facts there too \(reviews, review_flags\)/,
      );
      expect(existsSync(join(dataDir, "review.db"))).toBe(false);
    } finally {
      renameSync(kept, join(dataDir, "review.db"));
    }
    expect(dump(dataDir, READ_MODELS)).toBe(original);
  });
});

describe("a second seeded scenario", () => {
  it("runs to the same read models in a second folder, and replays them byte for byte", async () => {
    const again = mkdtempSync(join(tmpdir(), "ecom-replay-"));
    try {
      await runScenario({ dataDir: again }, 31);
      expect(dump(again, READ_MODELS)).toBe(original);
      await replayReadModels({ dataDir: again, contexts: allContexts });
      expect(dump(again, READ_MODELS)).toBe(original);
    } finally {
      rmSync(again, { recursive: true, force: true });
    }
  }, 120_000);
});
