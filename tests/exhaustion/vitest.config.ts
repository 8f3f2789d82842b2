import { defineConfig } from "vitest/config";
import { testCacheDir } from "../test-cache-dir.js";

// The exhaustion test measures a real process's memory and latency, so it runs on its own, after the main suite
// (`npm run test:exhaustion`, called by .ci/run), never in parallel with other tests. It drives the built packages
// in a child process, so `tsc -b` must have run (npm test does).
export default defineConfig({
  test: {
    include: ["tests/exhaustion/**/*.test.ts"],
    reporters: ["default"],
    pool: "forks",
    fileParallelism: false,
    env: { ECOM_CACHE_DIR: testCacheDir },
    globalSetup: ["./tests/test-cache-dir.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
