import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";
import { testCacheDir } from "./tests/test-cache-dir.js";

// graphql 16 has no exports map: Node resolves `graphql` to its CommonJS main, Vite to its `module` (index.mjs). The
// simulator's sources run through Vite while graphql-yoga is loaded by Node, and two copies of graphql reject each
// other's schemas and errors; so tests resolve `graphql` the way Node does, as the built packages run.
const graphqlMain = createRequire(import.meta.url).resolve("graphql");

// One run for the whole workspace. Packages resolve each other through the `source` export condition, so tests
// run against the TypeScript sources without a build in between.
export default defineConfig({
  resolve: { conditions: ["source"], alias: [{ find: /^graphql$/, replacement: graphqlMain }] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "codegen/src/**/*.test.ts", "tests/**/*.test.ts"],
    // The exhaustion test measures real resources and runs alone: `npm run test:exhaustion`.
    exclude: ["**/node_modules/**", "**/dist/**", "tests/exhaustion/**"],
    // The skip line (PostgreSQL/NATS absent) comes just before the closing line, where a reader of the end looks.
    reporters: ["default", "./tests/backends/skip-line-reporter.ts", "./scripts/closing-line-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two connections per PostgreSQL store pool: test files run in parallel, each platform opens 13 pools, and the
    // server allows 100 connections.
    env: { ECOM_CACHE_DIR: testCacheDir, ECOM_STORE_POOL: "2" },
    // The second probes PostgreSQL and NATS once for the run (tests/backends/backends.ts).
    globalSetup: ["./tests/test-cache-dir.ts", "./tests/backends/global-setup.ts"],
    benchmark: {
      include: ["packages/*/src/**/*.bench.ts", "codegen/src/**/*.bench.ts", "tests/**/*.bench.ts"],
      exclude: ["**/node_modules/**", "**/dist/**"],
    },
  },
});
