import { type ChildProcess, spawn } from "node:child_process";
import { childEnv, ecomBin } from "../simulator/sim-process.js";

/** `ecom serve`, `ecom gateway` and `ecom sim up` in child processes, as a user (or an orchestrator that kills them) runs them. */

/** One `ecom` child. */
export interface EcomChild {
  readonly child: ChildProcess;
  /** The URL its banner names, once the banner is out; rejects if it exits first. */
  readonly url: Promise<string>;
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  /** What it wrote to stderr so far (for a failing test's message). */
  stderr(): string;
}

const running = new Set<ChildProcess>();

const BANNERS = {
  serve: /ecom serve ready in [\d.]+s — .* on (http:\/\/\S+)/,
  gateway: /ecom gateway on (http:\/\/\S+)/,
  sim: /ecom simulator ready in [\d.]+s — \d+ contexts on (http:\/\/\S+)/,
} as const;

/** Start `ecom serve …`, `ecom gateway …` or `ecom sim …` (`up` first in `args`) with `args` after the command. */
export function startEcom(command: keyof typeof BANNERS, args: readonly string[]): EcomChild {
  const child = spawn(process.execPath, [ecomBin, command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(),
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
  const exited = new Promise<Awaited<EcomChild["exited"]>>((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    }),
  );
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const found = BANNERS[command].exec(stdout)?.[1];
      if (found) resolve(found);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`ecom ${command} exited (${code ?? signal}) before it was ready: ${stderr}`)),
    );
  });
  url.catch(() => {});
  return { child, url, exited, stderr: () => stderr };
}

/** SIGKILL `child` and resolve once it is gone. */
export async function sigkill(child: EcomChild): Promise<void> {
  if (child.child.exitCode === null && child.child.signalCode === null) child.child.kill("SIGKILL");
  await child.exited;
}

/** SIGKILL every child still running (the test's teardown). */
export async function killAllEcomChildren(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}
