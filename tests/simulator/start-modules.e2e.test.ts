import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { childEnv, ecomBin } from "./sim-process.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * The packages `ecom sim up --memory` has loaded when its banner is out (ready, /healthz answering), with its seed
 * snapshots in `cache`, and every module's URL.
 */
async function packagesLoadedWhenReady(cache: string): Promise<{ packages: Set<string>; urls: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "ecom-start-modules-"));
  dirs.push(dir);
  const modulesFile = join(dir, "modules.txt");
  const child = spawn(
    process.execPath,
    ["--require", join(import.meta.dirname, "module-recorder.cjs"), ecomBin, "sim", "up", "--memory", "--port", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: childEnv({ ECOM_MODULES_FILE: modulesFile, ECOM_CACHE_DIR: cache }),
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Stop: Ctrl-C")) resolve();
    });
    void exited.then((code) => reject(new Error(`ecom sim up exited with ${code} before it was ready`)));
  });
  child.kill("SIGINT");
  expect(await exited).toBe(0);
  const packages = new Set<string>();
  const urls = readFileSync(modulesFile, "utf8").split("\n");
  for (const url of urls) {
    const found = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (found) packages.add(found[1]!);
  }
  return { packages, urls };
}

describe("ecom sim up --memory", () => {
  it("started from its seed snapshot, is ready without loading what only some requests or flags use", async () => {
    const cache = mkdtempSync(join(tmpdir(), "ecom-cache-"));
    dirs.push(cache);
    // The first start seeds (and counts the seed's events for /metrics); the second starts from the snapshot.
    await packagesLoadedWhenReady(cache);
    const { packages: loaded, urls } = await packagesLoadedWhenReady(cache);
    // What every start needs is loaded (the recorder sees it) …
    expect(loaded).toContain("kysely");
    expect(loaded).toContain("better-sqlite3");
    // … and what /graphql, a WebSocket, /metrics, the console's contracts or an MQTT feed use is not, until they are used.
    for (const deferred of ["graphql", "graphql-yoga", "ws", "prom-client", "yaml", "mqtt", "aedes"])
      expect(loaded, deferred).not.toContain(deferred);
    // The contracts' REST validators load per context with its first request: the banner's logins load customer's,
    // and a context nothing has called yet has none loaded.
    const validators = urls.filter((url) => /\/gen\/validators\/rest-/.test(url));
    expect(validators.some((url) => url.includes("/rest-customer"))).toBe(true);
    expect(validators.filter((url) => url.includes("/rest-cart"))).toEqual([]);
  });
});
