import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { createPlatform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEcom } from "../__fixtures__/run-ecom.js";

let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ecom-export-"));
  const platform = await createPlatform({
    contexts: allContexts,
    dataDir,
    seed: 5,
    log: { info() {}, warn() {}, error() {} },
  });
  await platform.close();
}, 60_000);
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("ecom sim export", () => {
  it("prints a data folder's canonical export: every context's tables, ids ranked, timestamps left out", async () => {
    const { code, stdout, stderr } = await runEcom("sim", "export", "--data", dataDir);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const exported = JSON.parse(stdout) as Record<string, Record<string, unknown>[]>;
    expect(Object.keys(exported)).toContain("order.orders");
    expect(exported["catalog.products"]!.length).toBeGreaterThan(100);
    expect(exported["customer.customers"]!.map((customer) => customer.customer_id)).toEqual(["cus#1", "cus#2"]);
    expect(Object.keys(exported["customer.customers"]![0]!)).not.toContain("created_at");
  });

  it("gives the same export twice (sorted, nothing of the moment it ran)", async () => {
    const [first, second] = [
      await runEcom("sim", "export", "--data", dataDir),
      await runEcom("sim", "export", "--data", dataDir),
    ];
    expect(second.stdout).toBe(first.stdout);
  });

  it.each([
    [
      "a folder without stores",
      ["--data", tmpdir()],
      /^ecom: \S+ is not a data folder of every context \(no customer\.db, /,
    ],
    [
      "--data with --store",
      ["--data", ".ecom", "--store", "postgres://x@h/db"],
      /^ecom: --data and --store name two platforms/,
    ],
    ["a store URL that is not PostgreSQL's", ["--store", "mysql://x/y"], /^ecom: --store takes a postgres:\/\//],
    ["--namespace without --store", ["--namespace", "shop"], /^ecom: --namespace goes with --store$/],
  ])("refuses %s in one line (exit 2)", async (_name, args, message) => {
    const { code, stdout, stderr } = await runEcom("sim", "export", ...args);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.trimEnd()).toMatch(message);
    expect(stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
