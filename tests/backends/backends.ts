import { describe, expect, inject, it } from "vitest";
import {
  BACKENDS_REQUIRED,
  type BackendProbe,
  BUS_URL,
  probeBackends,
  requiredLine,
  STORE_URL,
  skipLine,
} from "./probe.js";

/**
 * The backends a test runs on: `embedded` (SQLite files and the in-process log) always, and `postgres+nats` (the
 * machine's PostgreSQL and NATS JetStream) when both answer. Without them a run skips those tests and says so in one
 * line (skip-line-reporter.ts); with `ECOM_BACKENDS_REQUIRED=1` (CI) their absence fails instead.
 *
 *     describeBackends("the checkout", (backend) => {
 *       beforeAll(async () => { … backend.kind === "postgres+nats" ? createTestDatabase() … });
 *       it("…", …);
 *     });
 */
export type Backend =
  | { readonly kind: "embedded" }
  | { readonly kind: "postgres+nats"; readonly storeUrl: string; readonly busUrl: string };

/** Both kinds, in the order tests run them. */
export const ALL_BACKENDS: readonly Backend[] = [
  { kind: "embedded" },
  { kind: "postgres+nats", storeUrl: STORE_URL, busUrl: BUS_URL },
];

/**
 * The run's probe (global-setup.ts probes once per run); a file run under a config without that setup probes itself
 * and prints its own skip line.
 */
export const backendProbe: BackendProbe = inject("ecomBackends") ?? (await probeAlone());

async function probeAlone(): Promise<BackendProbe> {
  const probe = await probeBackends();
  if (!probe.available && !BACKENDS_REQUIRED) process.stderr.write(`${skipLine(probe.reason)}\n`);
  return probe;
}

/** Whether a test on `backend` runs here (`postgres+nats` also runs, and fails, when required and absent). */
export function runsOn(backend: Backend): boolean {
  return backend.kind === "embedded" || backendProbe.available || BACKENDS_REQUIRED;
}

/** The backends this run's tests use, for `describe.each`; see {@link describeBackends}, which also reports skips. */
export const backends: readonly Backend[] = ALL_BACKENDS.filter(runsOn);

/** The suite name a backend's copy of a suite gets; the skip-line reporter counts skipped tests by it. */
export function suiteName(title: string, backend: Backend): string {
  return `${title} [${backend.kind}]`;
}

/**
 * `describe` once per backend, `body` given the backend. The `postgres+nats` copy is skipped when PostgreSQL or NATS
 * does not answer; with `ECOM_BACKENDS_REQUIRED=1` it is instead one failing test saying what does not answer (the
 * body's hooks would only fail with a connection error).
 */
export function describeBackends(title: string, body: (backend: Backend) => void): void {
  for (const backend of ALL_BACKENDS) describeOn(backend, title, body);
}

/** `describe` on PostgreSQL and NATS only (what SQLite has no counterpart of), skipped or failing as above. */
export function describePostgresNats(title: string, body: (backend: PostgresNats) => void): void {
  describeOn(ALL_BACKENDS[1] as PostgresNats, title, body);
}

/** The `postgres+nats` backend. */
export type PostgresNats = Extract<Backend, { readonly kind: "postgres+nats" }>;

function describeOn<TBackend extends Backend>(
  backend: TBackend,
  title: string,
  body: (backend: TBackend) => void,
): void {
  const name = suiteName(title, backend);
  if (backend.kind === "embedded" || backendProbe.available) describe(name, () => body(backend));
  else if (BACKENDS_REQUIRED) {
    const reason = backendProbe.reason;
    describe(name, () => {
      it("has PostgreSQL and NATS to run on (ECOM_BACKENDS_REQUIRED=1)", () => {
        expect.fail(requiredLine(reason));
      });
    });
  } else describe.skip(name, () => body(backend));
}
