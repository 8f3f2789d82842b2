import type { TestProject } from "vitest/node";
import { BACKENDS_REQUIRED, type BackendProbe, probeBackends } from "./probe.js";

declare module "vitest" {
  interface ProvidedContext {
    /** What the run's one probe of PostgreSQL and NATS found (backends.ts reads it). */
    ecomBackends: BackendProbe;
  }
}

/** The variable through which the run's reporter learns why the PostgreSQL/NATS tests were skipped. */
export const SKIP_REASON_VARIABLE = "ECOM_BACKENDS_SKIP_REASON";

/**
 * Vitest's global setup: probe PostgreSQL and NATS once for the whole run and hand the answer to every test file
 * (`inject("ecomBackends")`), so test files agree and the run prints one skip line (skip-line-reporter.ts), not one
 * per file. When both answer, what test processes killed mid-run left behind (their databases, roles and streams)
 * is dropped first.
 */
export async function setup(project: TestProject): Promise<void> {
  const probe = await probeBackends();
  project.provide("ecomBackends", probe);
  if (!probe.available) {
    if (!BACKENDS_REQUIRED) process.env[SKIP_REASON_VARIABLE] = probe.reason;
    return;
  }
  await Promise.all([
    sweep(async () => (await import("./test-database.js")).dropAbandonedTestDatabases()),
    sweep(async () => (await import("./nats-namespace.js")).dropAbandonedNamespaces()),
  ]);
}

/** A sweep is housekeeping: its failure is told in one line and never fails the run. */
async function sweep(work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    // A checkout without the clients installed yet has nothing of theirs to sweep.
    if ((error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND") return;
    process.stderr.write(`could not drop what dead test processes left on PostgreSQL/NATS: ${String(error)}\n`);
  }
}
