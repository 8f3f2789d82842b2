import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureDataFolder } from "./folder-path.js";

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), "ecom-path-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function message(dir: string): string {
  try {
    ensureDataFolder(dir);
  } catch (error) {
    expect((error as { code?: string }).code).toBe("unusable");
    return (error as Error).message;
  }
  throw new Error(`${dir} was accepted`);
}

describe("ensureDataFolder", () => {
  it("makes a new folder, level by level", () => {
    const dir = join(work, "a", "b", ".ecom");
    expect(ensureDataFolder(dir)).toBe(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it.each([
    ["a file", (root: string) => join(root, "file"), /file is a file, not a folder/],
    ["a path under a file", (root: string) => join(root, "file", "x"), /is under .*file, which is a file/],
    [
      "a path under /proc, where nothing can be made",
      () => "/proc/nope/data",
      /cannot create the data folder \/proc\/nope\/data \(ENOENT at \/proc\/nope\)/,
    ],
  ])("refuses %s in one line, writing nothing", async (_name, path, want) => {
    await writeFile(join(work, "file"), "keep me");
    const text = message(path(work));
    expect(text).toMatch(want);
    expect(text.split("\n")).toHaveLength(1);
  });

  it("refuses somebody else's non-empty folder, and accepts an ecom data folder or an empty one", async () => {
    await mkdir(join(work, "home"));
    await writeFile(join(work, "home", "notes.txt"), "mine");
    expect(message(join(work, "home"))).toMatch(/is not empty and is not an ecom data folder/);
    await mkdir(join(work, "old"));
    await writeFile(join(work, "old", "events.db"), "");
    expect(ensureDataFolder(join(work, "old"))).toBe(join(work, "old"));
    await mkdir(join(work, "empty"));
    expect(ensureDataFolder(join(work, "empty"))).toBe(join(work, "empty"));
  });
});
