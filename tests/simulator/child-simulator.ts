import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createClient, type EcomClient } from "@ecom/sdk";

/** `ecom sim up` in a child process, for tests that kill it as a power cut would. */

const bin = join(import.meta.dirname, "../../packages/cli/bin/ecom.js");

/** The children started, so a test's afterEach can kill what is left. */
export const children = new Set<ChildProcess>();

/** Start `ecom sim up` on a data folder; resolves with its URL once the banner is out, and its exit. */
export function startSimulator(dataDir: string, crashAfter?: string) {
  const args = [
    bin,
    "sim",
    "up",
    "--data",
    dataDir,
    "--port",
    "0",
    ...(crashAfter ? ["--crash-after", crashAfter] : []),
  ];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = new Promise<string>((resolve, reject) => {
    let output = "";
    let errors = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = /contexts on (http:\/\/[^\s]+)/.exec(output);
      if (found) resolve(found[1]!);
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`simulator exited (${code ?? signal}) before it was ready: ${errors}`)),
    );
  });
  return { child, url, exited };
}

/** A client signed in as `email` against a simulator over HTTP. */
export async function signedInClient(url: string, email: string, password: string): Promise<EcomClient> {
  const { data, error } = await createClient({ baseUrl: url, retry: { maxAttempts: 1 } }).customer.login({
    body: { email, password },
  });
  if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
  return createClient({ baseUrl: url, token: data.accessToken, retry: { maxAttempts: 1 } });
}

/**
 * Ask `probe` until it answers something other than undefined. Another process is doing the work, so there is
 * nothing to settle on in this one: the test polls its public API, as a client would.
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, attempts = 400): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}
