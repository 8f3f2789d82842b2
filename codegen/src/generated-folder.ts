import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";

/** One difference between what generation gives and what is on disk. */
export interface Drift {
  readonly path: string;
  /** `changed`: content differs; `missing`: generation gives it, disk lacks it; `extra`: on disk, not generated. */
  readonly kind: "changed" | "missing" | "extra";
}

async function readTree(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(root, full).split(sep).join("/"), await readFile(full, "utf8"));
  }
  return files;
}

/** Replace the folder's whole content with `files`: generation wipes its output first, so nothing stale survives. */
export async function writeGeneratedFolder(root: string, files: ReadonlyMap<string, string>): Promise<void> {
  await rm(root, { recursive: true, force: true });
  for (const [path, content] of files) {
    const full = join(root, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/** Compare `files` with the folder on disk; an empty list means it is in sync. */
export async function compareGeneratedFolder(root: string, files: ReadonlyMap<string, string>): Promise<Drift[]> {
  const onDisk = await readTree(root);
  const drift: Drift[] = [];
  for (const [path, content] of files) {
    const existing = onDisk.get(path);
    if (existing === undefined) drift.push({ path, kind: "missing" });
    else if (existing !== content) drift.push({ path, kind: "changed" });
  }
  for (const path of onDisk.keys()) if (!files.has(path)) drift.push({ path, kind: "extra" });
  return drift.sort((a, b) => a.path.localeCompare(b.path));
}
