import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

const repository = new URL("../../", import.meta.url).pathname;

/**
 * Refuse to run a child on `packages/<name>/dist` older than its source: a test that spawns plain JavaScript on the
 * built packages (a file run alone, after an edit, without `npx tsc -b`) would otherwise run the old code and pass or
 * fail on it silently. The build's mark is its `dist/.tsbuildinfo`, which `tsc -b` writes (or touches, when a source
 * was touched without a change) whenever it brings the package up to date.
 */
export async function assertBuilt(packages: readonly string[], root = repository): Promise<void> {
  for (const name of packages) {
    const builtAt = await stat(join(root, "packages", name, "dist", ".tsbuildinfo"))
      .then((info) => info.mtimeMs)
      .catch(() => undefined);
    if (builtAt === undefined)
      throw new Error(`packages/${name} is not built (no dist/.tsbuildinfo): run npx tsc -b first (npm test does).`);
    const newer = await newerSources(join(root, "packages", name, "src"), builtAt);
    if (newer.length > 0)
      throw new Error(
        `packages/${name}/dist is older than its source (${newer.slice(0, 3).join(", ")}${newer.length > 3 ? ", …" : ""} ` +
          "changed since the last build), and this test runs the built code: run npx tsc -b first (npm test does).",
      );
  }
}

/** The sources the package's build compiles (not its tests) changed after `builtAt`, relative to the package. */
async function newerSources(folder: string, builtAt: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts") || entry.name.endsWith(".test.ts")) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.includes("__fixtures__")) continue;
    if ((await stat(path)).mtimeMs > builtAt) found.push(path.slice(folder.length - "src".length));
  }
  return found;
}
