import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { arch, endianness, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CompatError } from "./compat-error.js";

/** One finding of `buf breaking`, located in the head module (paths relative to the module root). */
export interface BufIssue {
  /** buf's rule id: `FIELD_NO_DELETE`, `ENUM_VALUE_NO_DELETE`, … */
  readonly rule: string;
  readonly path: string;
  readonly line: number;
  readonly message: string;
}

// The same table @bufbuild/buf's own launcher uses to pick the platform package that holds the binary.
const platformPackages: Record<string, string> = {
  "darwin arm64 LE": "@bufbuild/buf-darwin-arm64",
  "darwin x64 LE": "@bufbuild/buf-darwin-x64",
  "linux arm64 LE": "@bufbuild/buf-linux-aarch64",
  "linux arm LE": "@bufbuild/buf-linux-armv7",
  "linux x64 LE": "@bufbuild/buf-linux-x64",
  "win32 arm64 LE": "@bufbuild/buf-win32-arm64",
  "win32 x64 LE": "@bufbuild/buf-win32-x64",
};

let bundled: string | undefined;

/**
 * The path of the buf binary bundled with the `@bufbuild/buf` package, resolved through that package (not PATH)
 * once per process. Running the binary directly skips the Node launcher `npx buf` would start first.
 */
export function bundledBufPath(): string {
  if (bundled) return bundled;
  const require = createRequire(import.meta.url);
  let launcherPackage: string;
  try {
    launcherPackage = require.resolve("@bufbuild/buf/package.json");
  } catch (error) {
    throw new CompatError("buf-failed", "the @bufbuild/buf package is not installed; run npm install", {
      cause: error,
    });
  }
  const platform = platformPackages[`${process.platform} ${arch()} ${endianness()}`];
  const binary = process.platform === "win32" ? "bin/buf.exe" : "bin/buf";
  const candidates: string[] = [];
  if (platform) {
    try {
      candidates.push(createRequire(launcherPackage).resolve(`${platform}/${binary}`));
    } catch {
      // The launcher downloads the binary beside itself when the optional platform package was not installed.
      candidates.push(join(dirname(launcherPackage), `downloaded-${platform.replace("/", "-")}-buf`));
    }
  }
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new CompatError(
      "buf-failed",
      `no buf binary for ${process.platform} ${arch()} in @bufbuild/buf; reinstall it with optional dependencies enabled`,
    );
  }
  bundled = found;
  return found;
}

const defaultConfig = "version: v2\nbreaking:\n  use:\n    - FILE\n";

/**
 * Run `buf breaking` on the head proto module against the base one. Both are written to a temporary folder from
 * their texts (paths relative to the module root, buf.yaml included), which works the same for a folder, a git
 * revision or anything else the texts came from. Compile errors are thrown as `unparsable-contract`, naming the
 * side and file; breaking changes are returned.
 */
export async function runBufBreaking(options: {
  readonly base: ReadonlyMap<string, string>;
  readonly head: ReadonlyMap<string, string>;
  readonly bufPath?: string;
}): Promise<BufIssue[]> {
  const buf = options.bufPath ?? bundledBufPath();
  const root = await mkdtemp(join(tmpdir(), "ecom-compat-buf-"));
  try {
    for (const [side, files] of [
      ["base", options.base],
      ["head", options.head],
    ] as const) {
      for (const [path, text] of files) {
        await mkdir(dirname(join(root, side, path)), { recursive: true });
        await writeFile(join(root, side, path), text);
      }
      // Without a buf.yaml, buf's defaults apply; say FILE explicitly, the category the ecom contracts use.
      if (!files.has("buf.yaml")) await writeFile(join(root, side, "buf.yaml"), defaultConfig);
    }
    const { code, stdout, stderr } = await run(
      buf,
      ["breaking", "head", "--against", "base", "--error-format", "json"],
      root,
    );
    if (code !== 0 && code !== 100) {
      throw new CompatError("buf-failed", `buf breaking failed (exit ${code}): ${(stderr || stdout).trim()}`);
    }
    const issues: BufIssue[] = [];
    for (const line of stdout.split("\n")) {
      if (!line.trim()) continue;
      const entry = JSON.parse(line) as { path?: string; start_line?: number; type?: string; message?: string };
      const [side = "head", ...rest] = (entry.path ?? "").split("/");
      const path = rest.join("/");
      if (entry.type === "COMPILE") {
        throw new CompatError(
          "unparsable-contract",
          `${side}: proto/${path}:${entry.start_line ?? 1}: ${entry.message ?? "does not compile"}. Fix the file, then run again.`,
        );
      }
      issues.push({ rule: entry.type ?? "UNKNOWN", path, line: entry.start_line ?? 1, message: entry.message ?? "" });
    }
    if (code === 100 && issues.length === 0) {
      throw new CompatError("buf-failed", `buf breaking failed: ${(stderr || stdout).trim()}`);
    }
    return issues;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") {
        reject(new CompatError("buf-failed", `cannot run ${command}: ${error.message}`, { cause: error }));
        return;
      }
      resolve({ code: typeof error?.code === "number" ? error.code : 0, stdout, stderr });
    });
  });
}
