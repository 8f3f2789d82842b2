import { mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DataFolderError } from "./data-folder-error.js";

/** Names an ecom data folder holds; a folder with other files and none of these is somebody else's. */
const OWN_FILE = /^(manifest\.json|lock|secret|[a-z][a-z0-9-]*\.db(-wal|-shm)?)$/;

/** Whether `name` is a file ecom keeps in a data folder. */
export function isDataFolderFile(name: string): boolean {
  return OWN_FILE.test(name);
}

/**
 * Check a `--data` path and make the folder if it is new, before anything else is written: the path must be a
 * folder (or creatable as one, level by level, so a path under /proc fails at once instead of looping) and must not
 * be somebody else's non-empty folder. Every failure is one line naming the path.
 */
export function ensureDataFolder(path: string): string {
  const folder = resolve(path);
  const missing: string[] = [];
  for (let current = folder; ; current = dirname(current)) {
    const stat = statOrUndefined(current);
    if (stat) {
      if (!stat.isDirectory()) {
        const what = current === folder ? "is a file, not a folder" : `is under ${current}, which is a file`;
        throw new DataFolderError("unusable", `the data folder ${folder} ${what}; pass --data <a folder>`);
      }
      break;
    }
    missing.unshift(current);
    if (dirname(current) === current) break;
  }
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new DataFolderError(
        "unusable",
        `cannot create the data folder ${folder} (${code} at ${level}); pass --data <a folder you can write to>`,
      );
    }
  }
  if (missing.length === 0) {
    let names: string[];
    try {
      names = readdirSync(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new DataFolderError("unusable", `cannot read the data folder ${folder} (${code}); pass --data <a folder>`);
    }
    if (names.length > 0 && !names.some(isDataFolderFile)) {
      throw new DataFolderError(
        "unusable",
        `${folder} is not empty and is not an ecom data folder (no manifest.json, no stores); pass --data <a new or empty folder>`,
      );
    }
  }
  return folder;
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") {
      // A parent is a file; the loop reports it when it reaches that parent.
      return undefined;
    }
    throw new DataFolderError(
      "unusable",
      `cannot use the data folder ${path} (${code ?? "error"}); pass --data <a folder>`,
    );
  }
}
