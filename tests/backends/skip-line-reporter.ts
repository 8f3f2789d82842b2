import type { Reporter, TestModule } from "vitest/node";
import { SKIP_REASON_VARIABLE } from "./global-setup.js";
import { skipLine } from "./probe.js";

/**
 * Prints, once per run and just before the closing line, why the run skipped its PostgreSQL/NATS tests:
 * `PostgreSQL/NATS tests skipped: nothing answers at 127.0.0.1:5432 (start PostgreSQL, or set ECOM_STORE_URL)`.
 * Only when the run's probe (global-setup.ts) found them absent and some test of a `[postgres+nats]` suite
 * (backends.ts) was skipped, so a run that never asked for them says nothing.
 */
export default class SkipLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const reason = process.env[SKIP_REASON_VARIABLE];
    if (reason === undefined) return;
    let skipped = 0;
    for (const module of testModules)
      for (const test of module.children.allTests())
        if (test.result().state === "skipped" && test.fullName.includes("[postgres+nats]")) skipped++;
    if (skipped > 0) process.stdout.write(`\n${skipLine(reason)} (${skipped} tests)`);
  }
}
