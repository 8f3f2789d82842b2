import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { LintRule } from "../lint-rule.js";

const require = createRequire(import.meta.url);

/** buf could not be found or started: the lint cannot do its job (exit 2), which is not a contract problem. */
export class LintToolError extends Error {
  override name = "LintToolError";
}

/** The platform packages @bufbuild/buf installs its binary from, by `${process.platform} ${process.arch}`. */
const bufPlatformPackages: Record<string, string> = {
  "darwin arm64": "@bufbuild/buf-darwin-arm64",
  "darwin x64": "@bufbuild/buf-darwin-x64",
  "linux arm64": "@bufbuild/buf-linux-aarch64",
  "linux arm": "@bufbuild/buf-linux-armv7",
  "linux x64": "@bufbuild/buf-linux-x64",
  "win32 arm64": "@bufbuild/buf-win32-arm64",
  "win32 x64": "@bufbuild/buf-win32-x64",
};

/**
 * The buf binary bundled with @bufbuild/buf (never one on PATH, whose version nobody pinned). The native binary
 * is used directly when it can be found, sparing the Node wrapper's start-up; the wrapper is the fallback.
 */
export function resolveBuf(): { command: string; args: string[] } {
  let packageJson: string;
  try {
    packageJson = require.resolve("@bufbuild/buf/package.json");
  } catch {
    throw new LintToolError("@bufbuild/buf is not installed; run `npm install` to get the bundled buf binary");
  }
  const platformPackage = bufPlatformPackages[`${process.platform} ${process.arch}`];
  if (platformPackage) {
    try {
      const exe = process.platform === "win32" ? ".exe" : "";
      return { command: createRequire(packageJson).resolve(`${platformPackage}/bin/buf${exe}`), args: [] };
    } catch {
      // Fall through to the wrapper, which gives its own message for an unsupported platform.
    }
  }
  return { command: process.execPath, args: [join(dirname(packageJson), "bin", "buf")] };
}

interface BufResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runBuf(args: readonly string[]): Promise<BufResult> {
  const buf = resolveBuf();
  return new Promise((resolvePromise, reject) => {
    execFile(buf.command, [...buf.args, ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : undefined) : 0;
      if (code === undefined) reject(new LintToolError(`could not run buf (${buf.command}): ${error?.message}`));
      else resolvePromise({ code, stdout, stderr });
    });
  });
}

/** One line of `buf lint --error-format json`. */
interface BufLintIssue {
  path?: string;
  start_line?: number;
  type?: string;
  message?: string;
}

/** `proto/buf-lint`: the proto module passes `buf lint` with the rules its buf.yaml names. */
export const protoBufLint: LintRule = {
  id: "proto/buf-lint",
  severity: "error",
  checks:
    "The proto module under `proto/` compiles and passes `buf lint` (bundled buf, rules from `proto/buf.yaml`), run once per lint.",
  fix: "Change the proto declaration the message names as buf says; the buf rule id in brackets is documented at buf.build/docs/lint/rules.",
  async check(context, report) {
    const sources = await context.protoSources();
    if (![...sources.keys()].some((path) => path.endsWith(".proto"))) return;
    // buf reads a folder, and the set may come from a git revision: write the module out as the set has it.
    const scratch = await mkdtemp(join(tmpdir(), "ecom-lint-"));
    try {
      await Promise.all(
        [...sources].map(async ([path, text]) => {
          const target = join(scratch, ...path.split("/"));
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, text);
        }),
      );
      const result = await runBuf(["lint", join(scratch, "proto"), "--error-format", "json"]);
      if (result.code === 0) return;
      const toContractPath = (path: string) => {
        const absolute = isAbsolute(path) ? path : resolve(path);
        return relative(scratch, absolute).split(sep).join("/");
      };
      const issues = result.stdout
        .split("\n")
        .filter((line) => line.trim().startsWith("{"))
        .map((line) => JSON.parse(line) as BufLintIssue);
      if (issues.length === 0) {
        // buf failed without lint output: a buf.yaml it cannot read, an import it cannot find, …
        // buf names files by their scratch path; say them relative to the contracts root instead.
        const scratchPath = new RegExp(`\\S*${basename(scratch)}[/\\\\]`, "g");
        const message =
          result.stderr.trim().split("\n").join(" ").replace(scratchPath, "") || `buf exited with code ${result.code}`;
        const config = sources.has("proto/buf.yaml") ? "proto/buf.yaml" : "proto";
        report({ file: config, line: 1 }, `buf could not lint the module: ${message}`);
        return;
      }
      for (const issue of issues) {
        report(
          { file: issue.path ? toContractPath(issue.path) : "proto/buf.yaml", line: issue.start_line ?? 1 },
          `${issue.message ?? "buf lint failed"} [${issue.type ?? "buf"}]`,
        );
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  },
};
