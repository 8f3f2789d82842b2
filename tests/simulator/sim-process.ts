import { type ChildProcess, spawn } from "node:child_process";

/** `ecom`'s bin, as a user runs it. */
export const ecomBin = new URL("../../packages/cli/bin/ecom.js", import.meta.url).pathname;

/** A simulator started in a child process (`ecom sim up …`). */
export interface SimProcess {
  readonly child: ChildProcess;
  /** The base URL once the banner is out; rejects if the process exits first. */
  readonly url: Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

const running = new Set<ChildProcess>();

/**
 * This process's environment for an `ecom` child, plus `extra`, without the variables that pick the child's backends:
 * the backend tests read ECOM_STORE_URL and ECOM_BUS_URL too (tests/backends), and a developer who sets them for
 * those must not turn every `sim up --data`/`--memory` child into a PostgreSQL + NATS one. A test that wants them
 * passes them in `extra`.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const { ECOM_STORE_URL: _store, ECOM_BUS_URL: _bus, ECOM_NAMESPACE: _namespace, ...rest } = process.env;
  return { ...rest, ...extra };
}

/** Start `ecom sim up` with `args` (for example `--data DIR --port 0`), and `env` added to this process's. */
export function startSim(args: readonly string[], env: Readonly<Record<string, string>> = {}): SimProcess {
  const child = spawn(process.execPath, [ecomBin, "sim", "up", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(env),
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.once("exit", (code, signal) => {
        running.delete(child);
        resolve({ code, signal, stdout, stderr });
      }),
  );
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const found = /contexts on (http:\/\/[^\s]+)/.exec(stdout);
      if (found) resolve(found[1]!);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`simulator exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
  url.catch(() => {});
  return { child, url, exited };
}

/** SIGKILL every simulator still running (after each test). */
export async function killAllSims(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
