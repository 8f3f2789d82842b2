import { relative } from "node:path";
import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * Prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary, so a CI
 * runner that reads closing lines (and not vitest's layout) can tell how many tests ran. A file that failed with
 * no failing test of its own (it did not compile or import, or a hook threw) counts as one failed test, and so does
 * an unhandled error, so the line never says "0 failed" about a run that failed.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const brokenFiles: string[] = [];
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failedHere++;
        else skipped++;
      }
      if (failedHere === 0 && (module.state() === "failed" || module.errors().length > 0)) {
        brokenFiles.push(relative(process.cwd(), module.moduleId));
        failedHere = 1;
      }
      failed += failedHere;
    }
    failed += unhandledErrors.length;
    if (brokenFiles.length > 0) process.stdout.write(`\nfiles that failed outside any test: ${brokenFiles.join(", ")}`);
    if (unhandledErrors.length > 0) process.stdout.write(`\nunhandled errors: ${unhandledErrors.length}`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
