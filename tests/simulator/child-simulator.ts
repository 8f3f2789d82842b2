import { createClient, type EcomClient } from "@ecom/sdk";
import { startSim } from "./sim-process.js";

/** `ecom sim up` in a child process, for tests that kill it as a power cut would (sim-process.ts keeps track). */

/** Start `ecom sim up` on a data folder; resolves with its URL once the banner is out, and its exit. */
export function startSimulator(dataDir: string, crashAfter?: string) {
  return startSim(["--data", dataDir, "--port", "0", ...(crashAfter ? ["--crash-after", crashAfter] : [])]);
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
