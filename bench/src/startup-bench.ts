import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Figure, median } from "./report.js";

const cli = fileURLToPath(new URL("../../packages/cli/bin/ecom.js", import.meta.url));

/** Linux's clock ticks per second, the unit of /proc/<pid>/stat's CPU times (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** CPU seconds (user + system, every thread) process `pid` has used so far; undefined without Linux's /proc. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (in parentheses): state is the first, utime the 12th and stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * Seconds from spawning `ecom sim up --memory --port 0` (with `args`) to its first /healthz 200, its seed snapshots
 * kept in `cache`, and the CPU seconds the process used until then; the process is then stopped.
 */
async function simUpSeconds(
  cache: string,
  args: readonly string[] = [],
): Promise<{ seconds: number; cpu: number | undefined }> {
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
      if (answer?.status === 200)
        return { seconds: (performance.now() - started) / 1000, cpu: cpuSecondsOf(child.pid) };
    }
    throw new Error("/healthz never answered 200");
  } finally {
    // A child that exited on its own (it refused to start) has nothing left to stop, and no second exit to wait for.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
    }
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
    const sim: { seconds: number; cpu: number | undefined }[] = [];
    const seeding: { seconds: number; cpu: number | undefined }[] = [];
    const node: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      sim.push(await simUpSeconds(cache));
      seeding.push(await simUpSeconds(cache, ["--no-seed-snapshot"]));
      node.push(await nodeSeconds());
    }
    const limit = median(node);
    const figure = (name: string, runs: readonly { seconds: number; cpu: number | undefined }[]): Figure => {
      const value = median(runs.map((run) => run.seconds));
      const cpu = runs.every((run) => run.cpu !== undefined) ? median(runs.map((run) => run.cpu!)) : undefined;
      return {
        name,
        value,
        limit,
        unit: "s",
        limitName: "`node -e 0`",
        higherIsBetter: false,
        target: "≤ 1.0 s",
        met: value <= 1.0,
        ...(cpu === undefined ? {} : { cpu: { ecom: `${cpu.toFixed(2)} s`, limit: "—" } }),
      };
    };
    return [
      figure("`ecom sim up --memory` to the first /healthz 200", sim),
      figure("the same, seeding every store (`--no-seed-snapshot`; the first start after a build)", seeding),
    ];
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
