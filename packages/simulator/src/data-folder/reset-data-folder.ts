import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { DataFolderError } from "./data-folder-error.js";
import { LOCK_FILE, lockDataFolder } from "./folder-lock.js";
import { isDataFolderFile } from "./folder-path.js";

/** What a reset deletes (or would delete). */
export interface ResetOutcome {
  readonly dir: string;
  /** The files, by name, with their sizes. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  /** Whether they were deleted (false for a dry run). */
  readonly deleted: boolean;
}

/**
 * Start a data folder over: delete every file ecom keeps there (stores, event log, manifest, token secret) and
 * nothing else, under the folder's lock, so a running simulator's folder is refused. With `dryRun`, only list them.
 */
export function resetDataFolder(dir: string, options: { readonly dryRun?: boolean } = {}): ResetOutcome {
  const folder = resolve(dir);
  if (!existsSync(folder)) return { dir: folder, files: [], deleted: false };
  if (!statSync(folder).isDirectory())
    throw new DataFolderError("unusable", `the data folder ${folder} is a file, not a folder; pass --data <a folder>`);
  const lock = lockDataFolder(folder, { purpose: "sim reset" });
  try {
    const files = readdirSync(folder)
      .filter((name) => isDataFolderFile(name) && name !== LOCK_FILE)
      .sort()
      .map((name) => ({ name, bytes: statSync(join(folder, name)).size }));
    if (options.dryRun) return { dir: folder, files, deleted: false };
    for (const file of files) rmSync(join(folder, file.name), { force: true });
    return { dir: folder, files, deleted: true };
  } finally {
    lock.release();
  }
}
