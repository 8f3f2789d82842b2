import { execFile } from "node:child_process";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * A set of contract files, read from a folder or from a git revision. Paths are POSIX-style and relative to the
 * contracts root (`openapi/cart.yaml`, `proto/ecom/inventory/v1/inventory.proto`, `contexts.yaml`).
 */
export interface ContractFiles {
  /** Where the files come from, for messages: a folder path or `<ref>:<path>`. */
  readonly origin: string;
  /** Every file below the root, sorted. */
  list(): Promise<string[]>;
  /** The text of one file; rejects with a message naming it when it does not exist. */
  read(path: string): Promise<string>;
}

/** An error reading a contract set: a missing folder, an unknown git ref, an unreadable file. */
export class ContractSourceError extends Error {
  override name = "ContractSourceError";
}

/** Contract files in a folder on disk. */
export function createDirectoryFiles(root: string): ContractFiles {
  return {
    origin: root,
    async list() {
      const info = await stat(root).catch(() => undefined);
      if (!info?.isDirectory()) throw new ContractSourceError(`${root} is not a folder of contracts`);
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join("/"))
        .filter((path) => !path.split("/").includes("node_modules"))
        .sort();
    },
    async read(path) {
      try {
        return await readFile(join(root, path), "utf8");
      } catch {
        throw new ContractSourceError(`cannot read ${join(root, path)}`);
      }
    },
  };
}

/**
 * Contract files held in memory, keyed by path relative to the contracts root: for tests, and for tools that
 * build a contract set without touching the disk.
 */
export function createMemoryFiles(files: Readonly<Record<string, string>>, origin = "memory"): ContractFiles {
  const paths = Object.keys(files).sort();
  return {
    origin,
    async list() {
      return [...paths];
    },
    async read(path) {
      const text = files[path];
      if (text === undefined) throw new ContractSourceError(`cannot read ${path} in ${origin}`);
      return text;
    },
  };
}

/**
 * Contract files at a git revision, read with `git ls-tree` and `git show` (nothing is checked out).
 * `root` is the contracts folder's path inside the repository, e.g. `contracts`.
 */
export async function createGitFiles(options: { repo: string; ref: string; root: string }): Promise<ContractFiles> {
  const { repo, ref } = options;
  const root = options.root.replace(/\/+$/, "");
  const git = async (...args: string[]) => {
    const { stdout } = await execFileAsync("git", ["-C", repo, ...args], { maxBuffer: 256 * 1024 * 1024 });
    return stdout;
  };
  try {
    await git("rev-parse", "--verify", "--quiet", `${ref}^{commit}`);
  } catch {
    throw new ContractSourceError(`unknown git ref '${ref}' in ${repo}`);
  }
  const listing = await git("ls-tree", "-r", "--name-only", "-z", ref, "--", `${root}/`);
  const files = listing
    .split("\0")
    .filter(Boolean)
    .map((path) => path.slice(root.length + 1))
    .sort();
  return {
    origin: `${ref}:${root}`,
    async list() {
      return files;
    },
    async read(path) {
      try {
        return await git("show", `${ref}:${root}/${path}`);
      } catch {
        throw new ContractSourceError(`cannot read ${path} at ${ref}`);
      }
    },
  };
}
