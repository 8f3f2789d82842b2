import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { assertBuilt } from "./fresh-build.js";

const folders: string[] = [];
afterEach(async () => {
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** A repository with one package `thing` whose build and source carry the given modification times (seconds). */
async function repository(times: { builtAt?: number; source: number; test?: number }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ecom-fresh-build-"));
  folders.push(root);
  const source = join(root, "packages", "thing", "src", "bus");
  await mkdir(source, { recursive: true });
  await mkdir(join(root, "packages", "thing", "dist"));
  await writeFile(join(source, "relay.ts"), "export {};\n");
  await utimes(join(source, "relay.ts"), times.source, times.source);
  if (times.test !== undefined) {
    await writeFile(join(source, "relay.test.ts"), "export {};\n");
    await utimes(join(source, "relay.test.ts"), times.test, times.test);
  }
  if (times.builtAt !== undefined) {
    await writeFile(join(root, "packages", "thing", "dist", ".tsbuildinfo"), "{}");
    await utimes(join(root, "packages", "thing", "dist", ".tsbuildinfo"), times.builtAt, times.builtAt);
  }
  return root;
}

it("passes a build newer than every source it compiles, whatever its tests' times", async () => {
  await expect(assertBuilt(["thing"], await repository({ builtAt: 2_000, source: 1_000, test: 3_000 }))).resolves.toBe(
    undefined,
  );
});

it("refuses a build older than a source, naming it and what to run", async () => {
  await expect(assertBuilt(["thing"], await repository({ builtAt: 1_000, source: 2_000 }))).rejects.toThrow(
    "packages/thing/dist is older than its source (src/bus/relay.ts changed since the last build), and this test " +
      "runs the built code: run npx tsc -b first (npm test does).",
  );
});

it("refuses a package never built", async () => {
  await expect(assertBuilt(["thing"], await repository({ source: 1_000 }))).rejects.toThrow(
    "packages/thing is not built (no dist/.tsbuildinfo)",
  );
});
