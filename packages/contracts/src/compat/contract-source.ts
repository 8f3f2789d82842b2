import { execFile, spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { type ContractFiles, createDirectoryFiles, createGitFiles } from "../source/contract-files.js";
import { CompatError } from "./compat-error.js";

/** Contract files to compare, and how to show their paths to whoever ran the command. */
export interface ContractSource {
  readonly files: ContractFiles & { readAll?: () => Promise<Map<string, string>> };
  /** The contracts root relative to the working directory (`contracts`), to prefix paths in findings. */
  readonly displayRoot: string;
}

const layout = ["openapi", "asyncapi", "proto", "graphql", "soap", "contexts.yaml"];

/**
 * Open `--base`/`--head`: a folder with the standard layout (`openapi/`, `asyncapi/`, `proto/`, `contexts.yaml`),
 * a folder holding such a `contracts/` folder (a checkout), or a git ref of the repository around `cwd`, read
 * from its `contracts/` folder with git (nothing is checked out). Without `spec`, the working tree's `contracts/`.
 */
export async function openContractSource(spec: string | undefined, options: { cwd: string }): Promise<ContractSource> {
  const { cwd } = options;
  const display = (path: string) => relative(cwd, path).split(sep).join("/") || ".";
  if (spec === undefined) {
    const top = await gitTopLevel(cwd);
    const root = join(top ?? cwd, "contracts");
    if (!(await isFolder(root))) {
      throw new CompatError("unknown-source", `no contracts/ folder at ${top ?? cwd}; pass --head <dir|git-ref>`);
    }
    return { files: createDirectoryFiles(root), displayRoot: display(root) };
  }
  const folder = resolve(cwd, spec);
  if (await isFolder(folder)) {
    const hasLayout = await someExists(folder, layout);
    const nested = join(folder, "contracts");
    const root = !hasLayout && (await isFolder(nested)) ? nested : folder;
    return { files: createDirectoryFiles(root), displayRoot: display(root) };
  }
  const top = await gitTopLevel(cwd);
  if (top === undefined) {
    throw new CompatError(
      "unknown-source",
      `'${spec}' is not a folder, and ${cwd} is not in a git repository to read it as a ref`,
    );
  }
  let files: ContractFiles;
  try {
    files = await createGitFiles({ repo: top, ref: spec, root: "contracts" });
  } catch (error) {
    throw new CompatError("unknown-source", `'${spec}' is neither a folder nor a known git ref in ${top}`, {
      cause: error,
    });
  }
  return {
    files: { ...files, readAll: () => readAllAt(top, spec, files) },
    displayRoot: display(join(top, "contracts")),
  };
}

async function isFolder(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

async function someExists(folder: string, names: readonly string[]): Promise<boolean> {
  const found = await Promise.all(
    names.map((name) =>
      stat(join(folder, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  return found.includes(true);
}

function gitTopLevel(cwd: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile("git", ["-C", cwd, "rev-parse", "--show-toplevel"], (error, stdout) =>
      done(error ? undefined : stdout.trim()),
    );
  });
}

/** Every file of `files` at `ref`, read with one `git cat-file --batch` rather than a `git show` per file. */
async function readAllAt(repo: string, ref: string, files: ContractFiles): Promise<Map<string, string>> {
  const paths = await files.list();
  if (paths.length === 0) return new Map();
  const output = await new Promise<Buffer>((done, fail) => {
    const child = spawn("git", ["-C", repo, "cat-file", "--batch"], { stdio: ["pipe", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let errors = "";
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0
        ? done(Buffer.concat(chunks))
        : fail(new CompatError("unreadable-source", `git cat-file failed: ${errors.trim()}`)),
    );
    child.stdin.end(paths.map((path) => `${ref}:contracts/${path}\n`).join(""));
  });
  const texts = new Map<string, string>();
  let offset = 0;
  for (const path of paths) {
    const newline = output.indexOf(10, offset);
    const header = output.subarray(offset, newline).toString();
    const size = Number(header.split(" ")[2]);
    if (!header.includes(" blob ") || Number.isNaN(size)) {
      throw new CompatError("unreadable-source", `cannot read contracts/${path} at ${ref}: ${header}`);
    }
    texts.set(path, output.subarray(newline + 1, newline + 1 + size).toString("utf8"));
    offset = newline + 1 + size + 1;
  }
  return texts;
}
