import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ecomBin, killAllSims, startSim } from "./sim-process.js";

// Issue 12, findings 3 and 6, as a user meets them: `ecom sim up` on a folder another simulator holds, on a bad
// --data, on a busy port, on a damaged store.

let work: string;
let blocker: Server | undefined;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "ecom-sim-data-"));
});
afterEach(async () => {
  await killAllSims();
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  blocker = undefined;
  await rm(work, { recursive: true, force: true });
});

/** Run `ecom …` to its end. */
function ecom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ecomBin, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// Each case starts `ecom sim up` in a child process: seconds on an idle machine, tens of them under a full test run.
describe("ecom sim up and its data folder", { timeout: 120_000 }, () => {
  it("refuses a folder another simulator holds: exit 2 naming the holder's pid and port", async () => {
    const dataDir = join(work, "data");
    const first = startSim(["--data", dataDir, "--port", "0"]);
    const url = await first.url;
    const second = await ecom("sim", "up", "--data", dataDir, "--port", "0");
    expect(second.code).toBe(2);
    expect(second.stderr.trim().split("\n")).toHaveLength(1);
    expect(second.stderr).toContain(`in use by pid ${first.child.pid} (ecom sim up on port ${new URL(url).port}`);
    expect(second.stdout).toBe("");
    const reset = await ecom("sim", "reset", "--data", dataDir, "--yes");
    expect(reset.code).toBe(2);
    expect(reset.stderr).toContain(`in use by pid ${first.child.pid}`);
  });

  it("ecom sim status --data finds the running simulator through the folder's lock, and says when none runs", async () => {
    const dataDir = join(work, "data");
    const none = await ecom("sim", "status", "--data", dataDir);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(`no simulator runs on ${dataDir}`);

    const sim = startSim(["--data", dataDir, "--port", "0"]);
    const url = await sim.url;
    const asJson = await ecom("sim", "status", "--data", dataDir, "--json");
    const report = JSON.parse(asJson.stdout) as { status: string; dataDir: string; contexts: Record<string, unknown> };
    expect(report.dataDir).toBe(dataDir);
    expect(Object.keys(report.contexts)).toEqual(expect.arrayContaining(["order", "inventory", "payment"]));
    expect(asJson.code).toBe(report.status === "ok" ? 0 : 1);
    const asText = await ecom("sim", "status", "--data", dataDir);
    expect(asText.stdout).toContain(url);

    sim.child.kill("SIGINT");
    expect((await sim.exited).code).toBe(0);
    expect((await ecom("sim", "status", "--data", dataDir)).stdout).toContain(`no simulator runs on ${dataDir}`);
  });

  it.each([
    ["a file", (root: string) => join(root, "a-file"), /the data folder .*a-file is a file, not a folder/],
    ["a path under a file", (root: string) => join(root, "a-file", "data"), /is under .*a-file, which is a file/],
    ["a path where nothing can be made", () => "/proc/nope", /cannot create the data folder \/proc\/nope \(ENOENT/],
    ["somebody else's folder", (root: string) => root, /is not empty and is not an ecom data folder/],
  ])("refuses --data naming %s in one line, exit 2, writing nothing", async (_name, path, want) => {
    await writeFile(join(work, "a-file"), "precious");
    const result = await ecom("sim", "up", "--data", path(work), "--port", "0");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(want);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(work, "a-file", "data"))).toBe(false);
  });

  it("checks the port before the data folder is made or seeded", async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    const dataDir = join(work, "fresh");
    const result = await ecom("sim", "up", "--data", dataDir, "--port", String(port));
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`ecom: port ${port} is in use; pass --port <another> (or 0 for any free port)`);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("stops with exit 1 naming an emptied store and what to do", async () => {
    const dataDir = join(work, "data");
    const first = startSim(["--data", dataDir, "--port", "0"]);
    await first.url;
    first.child.kill("SIGINT");
    const stopped = await first.exited;
    expect(stopped.code).toBe(0);
    await truncate(join(dataDir, "order.db"), 0);
    const result = await ecom("sim", "up", "--data", dataDir, "--port", "0");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("order.db is empty (0 bytes)");
    expect(result.stderr).toContain(`ecom sim reset --data ${dataDir}`);

    await writeFile(join(dataDir, "notes.txt"), "mine");
    const asked = await ecom("sim", "reset", "--data", dataDir);
    expect(asked.code).toBe(2);
    expect(asked.stderr).toMatch(
      /ecom sim reset deletes \d+ files of .*events\.db.*manifest\.json.*order\.db.*; pass --yes/,
    );
    expect(existsSync(join(dataDir, "events.db"))).toBe(true);
    const reset = await ecom("sim", "reset", "--data", dataDir, "--yes");
    expect(reset.code).toBe(0);
    expect(readdirSync(dataDir)).toEqual(["notes.txt"]);
  });

  it("starts again after sim repair --yes makes a lost platform.db anew", async () => {
    const dataDir = join(work, "data");
    const first = startSim(["--data", dataDir, "--port", "0"]);
    await first.url;
    first.child.kill("SIGINT");
    expect((await first.exited).code).toBe(0);
    await rm(join(dataDir, "platform.db"));

    const refused = await ecom("sim", "up", "--data", dataDir, "--port", "0");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("platform.db is missing");
    const dry = await ecom("sim", "repair", "--data", dataDir);
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain("can rebuild (run again with --yes):");
    const repaired = await ecom("sim", "repair", "--data", dataDir, "--yes");
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain(`\`ecom sim up --data ${dataDir}\` starts on it again.`);

    const again = startSim(["--data", dataDir, "--port", "0"]);
    const url = await again.url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });
});
