import { defineConfig } from "vitest/config";

// One run for the whole workspace. Packages resolve each other through the `source` export condition, so tests
// run against the TypeScript sources without a build in between.
export default defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    include: ["packages/*/src/**/*.test.ts", "codegen/src/**/*.test.ts", "tests/**/*.test.ts"],
    // The exhaustion test measures real resources and runs alone: `npm run test:exhaustion`.
    exclude: ["**/node_modules/**", "**/dist/**", "tests/exhaustion/**"],
    reporters: ["default", "./scripts/closing-line-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    benchmark: {
      include: ["packages/*/src/**/*.bench.ts", "codegen/src/**/*.bench.ts", "tests/**/*.bench.ts"],
      exclude: ["**/node_modules/**", "**/dist/**"],
    },
  },
});
