import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isDataFolderError } from "./data-folder-error.js";
import { type DataFolderLock, lockDataFolder, readDataFolderLock } from "./folder-lock.js";

let dir: string;
const held: DataFolderLock[] = [];
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ecom-lock-"));
});
afterEach(async () => {
  for (const lock of held.splice(0)) lock.release();
  for (const child of children.splice(0)) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

/** A lock file as another process would have written it. */
const foreignLock = (pid: number, extra: Record<string, unknown> = {}) =>
  writeFile(
    join(dir, "lock"),
    JSON.stringify({
      pid,
      hostname: hostname(),
      purpose: "simulator",
      startedAt: "2026-12-06T08:00:00.000Z",
      token: "t",
      ...extra,
    }),
  );

function refusal(take: () => unknown): Error {
  try {
    take();
  } catch (error) {
    return error as Error;
  }
  throw new Error("the lock was not refused");
}

describe("lockDataFolder", () => {
  it("holds the folder until released, and a second taker in the same process is refused naming the holder", () => {
    const lock = lockDataFolder(dir);
    held.push(lock);
    lock.update({ port: 4123, url: "http://127.0.0.1:4123" });
    const error = refusal(() => lockDataFolder(dir, { purpose: "replay" }));
    expect(isDataFolderError(error) && error.code).toBe("locked");
    expect(error.message).toContain(`pid ${process.pid}`);
    expect(error.message).toContain("port 4123");
    expect(readDataFolderLock(dir)).toMatchObject({ pid: process.pid, port: 4123, purpose: "simulator" });
    lock.release();
    expect(readDataFolderLock(dir)).toBeUndefined();
    held.push(lockDataFolder(dir, { purpose: "replay" }));
    expect(readDataFolderLock(dir)).toMatchObject({ purpose: "replay" });
  });

  it("refuses a folder another live process holds, naming its pid and port", async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    children.push(child);
    await foreignLock(child.pid!, { port: 4000, url: "http://127.0.0.1:4000" });
    const error = refusal(() => lockDataFolder(dir));
    expect(error.message).toMatch(new RegExp(`in use by pid ${child.pid} \\(ecom sim up on port 4000`));
    expect(readDataFolderLock(dir)).toMatchObject({ pid: child.pid, port: 4000 });
  });

  it("takes over the lock of a process that is gone", async () => {
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    await foreignLock(gone);
    expect(readDataFolderLock(dir)).toBeUndefined();
    const lock = lockDataFolder(dir);
    held.push(lock);
    expect(JSON.parse(await readFile(join(dir, "lock"), "utf8"))).toMatchObject({ pid: process.pid });
  });

  it("takes over a lock file left half-written by a crash", async () => {
    await writeFile(join(dir, "lock"), '{"pid": 12');
    held.push(lockDataFolder(dir));
    expect(readDataFolderLock(dir)).toMatchObject({ pid: process.pid });
  });

  it("release leaves a lock another holder took meanwhile alone", async () => {
    const lock = lockDataFolder(dir);
    await foreignLock(process.pid + 1_000_000);
    lock.release();
    expect(JSON.parse(await readFile(join(dir, "lock"), "utf8"))).toMatchObject({ token: "t" });
  });
});
