import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Figure, median } from "./report.js";

const cli = fileURLToPath(new URL("../../packages/cli/bin/ecom.js", import.meta.url));

/**
 * Seconds from spawning `ecom sim up --memory --port 0` (with `args`) to its first /healthz 200, its seed snapshots
 * kept in `cache`; the process is then stopped.
 */
async function simUpSeconds(cache: string, args: readonly string[] = []): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [cli, "sim", "up", "--memory", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ECOM_CACHE_DIR: cache },
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const found = /on (http:\/\/\S+)/.exec(output);
        if (found) resolve(found[1]!);
      });
      child.once("exit", (code) => reject(new Error(`ecom sim up exited with ${code} before it was ready`)));
    });
    for (let attempt = 0; attempt < 1000; attempt++) {
      const answer = await fetch(`${url}/healthz`).catch(() => undefined);
      if (answer?.status === 200) return (performance.now() - started) / 1000;
    }
    throw new Error("/healthz never answered 200");
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGINT");
    await exited;
  }
}

/** Seconds for `node -e 0`: the floor of any Node.js command. */
async function nodeSeconds(): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return (performance.now() - started) / 1000;
}

/**
 * `sim up --memory` to the first /healthz 200, beside `node -e 0`, medians of `runs` alternating runs: starting from
 * the seed snapshot the warm-up run kept (every start but the first after a build), and seeding every store
 * (`--no-seed-snapshot`, as that first start does).
 */
export async function benchStartup(options: { runs: number }): Promise<Figure[]> {
  const cache = mkdtempSync(join(tmpdir(), "ecom-bench-cache-"));
  try {
    await simUpSeconds(cache);
    const sim: number[] = [];
    const seeding: number[] = [];
    const node: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      sim.push(await simUpSeconds(cache));
      seeding.push(await simUpSeconds(cache, ["--no-seed-snapshot"]));
      node.push(await nodeSeconds());
    }
    const limit = median(node);
    const figure = (name: string, value: number): Figure => ({
      name,
      value,
      limit,
      unit: "s",
      limitName: "`node -e 0`",
      higherIsBetter: false,
      target: "≤ 1.0 s",
      met: value <= 1.0,
    });
    return [
      figure("`ecom sim up --memory` to the first /healthz 200", median(sim)),
      figure("the same, seeding every store (`--no-seed-snapshot`; the first start after a build)", median(seeding)),
    ];
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
