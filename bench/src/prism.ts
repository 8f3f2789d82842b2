import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { send } from "./http-load.js";
import type { ServerProcess } from "./server-process.js";

// Prism (Stoplight's mock server) is the third limit for the gateway. It is no dependency of the project:
// the bench installs it once into a cache folder outside the repository and runs its CLI on the catalog's contract.

/** Prism's last release that runs on Node 20 (5.15 and later require Node 24). */
export const PRISM_VERSION = "5.14.2";

/** The catalog's contract, which Prism mocks (it follows the `../common` references itself). */
const CATALOG_CONTRACT = fileURLToPath(new URL("../../contracts/openapi/catalog.yaml", import.meta.url));

/** Where Prism is installed: `$ECOM_BENCH_CACHE` or `~/.cache/ecom-bench`, one folder per version. */
function installFolder(): string {
  return join(process.env.ECOM_BENCH_CACHE ?? join(homedir(), ".cache", "ecom-bench"), `prism-${PRISM_VERSION}`);
}

/** Linux's clock ticks per second in /proc (USER_HZ, 100 on every architecture node runs on). */
const TICKS_PER_SECOND = 100;

/** CPU time of another process from Linux's /proc/<pid>/stat (utime + stime); undefined elsewhere. */
function cpuMicrosOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, hence the last ')'): state is field 3, utime 14.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Run a command to its end; its exit code and the start of what it wrote to stderr. */
function run(command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], timeout: timeoutMs });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 8000) stderr += chunk.toString("utf8");
    });
    child.on("error", (error) => resolve({ code: -1, stderr: error.message }));
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

/** npm's one line that says what went wrong (`npm error FetchError: … ECONNREFUSED`), not its codes or stack. */
const npmReason = (stderr: string) =>
  stderr
    .split("\n")
    .map((line) => line.replace(/^npm (error|ERR!) ?/, "").trim())
    .find((line) => line !== "" && !/^(code|syscall|errno|at |A complete log)\b/.test(line)) ?? "no output";

const lastLine = (text: string) =>
  text
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .at(-1)
    ?.trim() ?? "no output";

/** Prism's CLI script, installed on first use; or why it cannot be had (offline, say). */
async function installPrism(): Promise<{ cli: string } | { reason: string }> {
  const folder = installFolder();
  const cli = join(folder, "node_modules", "@stoplight", "prism-cli", "dist", "index.js");
  if (existsSync(cli)) return { cli };
  process.stderr.write(`bench: installing @stoplight/prism-cli@${PRISM_VERSION} into ${folder} (once)…\n`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const args = ["install", "--no-audit", "--no-fund", "--prefix", folder, `@stoplight/prism-cli@${PRISM_VERSION}`];
  const installed = await run(npm, args, 300_000);
  if (installed.code !== 0 || !existsSync(cli))
    return { reason: `npm install @stoplight/prism-cli@${PRISM_VERSION} failed: ${npmReason(installed.stderr)}` };
  return { cli };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

/**
 * Prism mocking the catalog's contract on a free port, silent (ecom's bench server logs nothing either), once it
 * answers `path` with 200; or why it could not be started. Its CPU time is read from /proc (Linux).
 */
export async function startPrism(
  path: string,
): Promise<Pick<ServerProcess, "url" | "usage" | "close"> | { reason: string }> {
  const installed = await installPrism();
  if ("reason" in installed) return installed;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [installed.cli, "mock", "-h", "127.0.0.1", "-p", String(port), "-v", "silent", CATALOG_CONTRACT];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const close = async () => {
    if (!gone) child.kill();
    await exited;
  };
  const agent = new Agent({ keepAlive: false });
  try {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !gone; ) {
      const answer = await send(agent, `${url}${path}`).catch(() => undefined);
      if (answer?.status === 200) {
        const pid = child.pid!;
        if (cpuMicrosOf(pid) === undefined) {
          await close();
          return { reason: "its CPU time cannot be read here (Linux's /proc only)" };
        }
        return {
          url,
          usage: async () => ({ kind: "usage", cpuMicros: cpuMicrosOf(pid) ?? 0, written: { bytes: 0, calls: 0 } }),
          close,
        };
      }
      if (answer) {
        await close();
        return { reason: `Prism answered GET ${path} with ${answer.status}` };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    agent.destroy();
  }
  await close();
  return { reason: `Prism did not answer within 60 s (${lastLine(stderr)})` };
}
