import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { killAllSims, startSim } from "./sim-process.js";

const dirs: string[] = [];
afterEach(async () => {
  await killAllSims();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ecom-cache-"));
  dirs.push(dir);
  return dir;
}

/** Start `ecom sim up --memory` with the cache in `cache`, read the first product of the catalog, and stop it. */
async function firstProduct(cache: string, ...args: string[]): Promise<string> {
  const sim = startSim(["--memory", "--port", "0", ...args], { ECOM_CACHE_DIR: cache });
  const url = await sim.url;
  const response = await fetch(`${url}/products?limit=1`);
  const { items } = (await response.json()) as { items: { productId: string }[] };
  sim.child.kill("SIGINT");
  const { code, stderr } = await sim.exited;
  expect(code, stderr).toBe(0);
  return items[0]!.productId;
}

describe("ecom sim up --memory", () => {
  it("keeps its seeded state in $ECOM_CACHE_DIR and starts the next run from it", async () => {
    const cache = cacheDir();
    const first = await firstProduct(cache);
    expect(readdirSync(join(cache, "seed-snapshots"))).toHaveLength(1);
    // Unseeded, a seed of its own would make other ids (the clock's time and a random part).
    expect(await firstProduct(cache)).toBe(first);
  });

  it("started twice at once on an empty cache, both seed and start, and leave one whole snapshot the next start uses", async () => {
    const cache = cacheDir();
    const both = await Promise.all([firstProduct(cache), firstProduct(cache)]);
    expect(readdirSync(join(cache, "seed-snapshots"))).toHaveLength(1);
    // Each seeded on its own (unseeded: other ids); the file holds one of the two whole, not a mix or a torn write.
    expect(both).toContain(await firstProduct(cache));
  });

  it("--no-seed-snapshot seeds anew and keeps nothing", async () => {
    const cache = cacheDir();
    await firstProduct(cache, "--no-seed-snapshot");
    expect(readdirSync(cache)).toEqual([]);
  });
});
