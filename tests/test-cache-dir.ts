import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * One seed-snapshot cache folder per test run, handed to every test process (and so to every `ecom` it spawns) as
 * `ECOM_CACHE_DIR`: whether a start seeds or starts from a snapshot then depends on this run alone, never on what
 * an earlier run or another build left in the user's ~/.cache/ecom. Tests that need a cache of their own still set
 * one. The folder goes when the run ends (`teardown`, vitest's globalSetup).
 */
export const testCacheDir: string = process.env.ECOM_TEST_CACHE_DIR ?? mkdtempSync(join(tmpdir(), "ecom-test-cache-"));
process.env.ECOM_TEST_CACHE_DIR = testCacheDir;

export function teardown(): void {
  rmSync(testCacheDir, { recursive: true, force: true });
}
