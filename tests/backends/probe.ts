import { once } from "node:events";
import { connect as connectTcp } from "node:net";

/**
 * Whether PostgreSQL and NATS answer where the backend tests look for them. Kept free of vitest so the run's global
 * setup (which probes once, see global-setup.ts) and a test file run under another config can both use it.
 */

/** The PostgreSQL server the backend tests use (`ECOM_STORE_URL`); each test file makes a database of its own there. */
export const STORE_URL = process.env.ECOM_STORE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
/** The NATS server with JetStream the backend tests use (`ECOM_BUS_URL`); each test file uses a namespace of its own. */
export const BUS_URL = process.env.ECOM_BUS_URL ?? "nats://127.0.0.1:4222";
/** `ECOM_BACKENDS_REQUIRED=1` (CI's `.ci/run`): a backend that does not answer fails the tests instead of skipping them. */
export const BACKENDS_REQUIRED = process.env.ECOM_BACKENDS_REQUIRED === "1";

/** What the probe found: both answer, or why the PostgreSQL/NATS tests cannot run here. */
export type BackendProbe = { readonly available: true } | { readonly available: false; readonly reason: string };

/** Where a URL points, as `host:port` (the scheme's usual port when it names none). */
export function addressOf(url: string, defaultPort: number): { readonly host: string; readonly port: number } {
  const { hostname, port } = new URL(url);
  return { host: hostname.replace(/^\[|\]$/g, ""), port: Number(port || defaultPort) };
}

/** Whether something accepts TCP connections at `host:port` (a probe, not a test of timing). */
export async function reachable(host: string, port: number): Promise<boolean> {
  const socket = connectTcp({ host, port });
  socket.setTimeout(2_000, () => socket.destroy(new Error("timed out")));
  try {
    await once(socket, "connect");
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

/** Probe `storeUrl` and `busUrl` (both at once); the reason names each one that does not answer and what to do. */
export async function probeBackends(storeUrl: string = STORE_URL, busUrl: string = BUS_URL): Promise<BackendProbe> {
  const store = addressOf(storeUrl, 5432);
  const bus = addressOf(busUrl, 4222);
  const [storeAnswers, busAnswers] = await Promise.all([
    reachable(store.host, store.port),
    reachable(bus.host, bus.port),
  ]);
  const missing = [
    ...(storeAnswers
      ? []
      : [`nothing answers at ${store.host}:${store.port} (start PostgreSQL, or set ECOM_STORE_URL)`]),
    ...(busAnswers ? [] : [`nothing answers at ${bus.host}:${bus.port} (start nats-server -js, or set ECOM_BUS_URL)`]),
  ];
  return missing.length === 0 ? { available: true } : { available: false, reason: missing.join("; ") };
}

/** The one line a run prints when it skipped the PostgreSQL/NATS tests. */
export function skipLine(reason: string): string {
  return `PostgreSQL/NATS tests skipped: ${reason}`;
}

/** What a run tells the tests when a backend is required and does not answer. */
export function requiredLine(reason: string): string {
  return `ECOM_BACKENDS_REQUIRED=1 and PostgreSQL/NATS do not answer: ${reason}`;
}
