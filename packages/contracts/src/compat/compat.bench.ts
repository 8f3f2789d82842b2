import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { diff as asyncapiDiff } from "@asyncapi/diff";
import { Parser } from "@asyncapi/parser";
import { afterAll, bench, describe } from "vitest";
import { createDirectoryFiles } from "../source/contract-files.js";
import { bundledBufPath } from "./buf-breaking.js";
import { compareContracts } from "./compare-contracts.js";
import { openContractSource } from "./contract-source.js";

// `npm run bench`: ecom compat on the whole contracts/ folder beside the single-format tools on the same inputs.
// - "against itself": base and head are both the contracts at git HEAD (what `ecom compat --base HEAD` does on
//   an unchanged tree), so nothing may be found and everything unchanged should cost next to nothing.
// - "every file touched": the head is a copy of HEAD's contracts with a comment appended to every file, so no
//   file is byte-identical: every YAML file is parsed and walked and buf runs — the worst case.
// `asyncapi diff` is measured as the AsyncAPI CLI runs it: @asyncapi/parser on both documents, then @asyncapi/diff.

const repo = join(import.meta.dirname, "../../../..");
const buf = bundledBufPath();
const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args]);

// HEAD's contracts on disk (for the tools that read files) and a copy with every file touched.
const headCopy = mkdtempSync(join(tmpdir(), "ecom-bench-head-"));
const touched = mkdtempSync(join(tmpdir(), "ecom-bench-touched-"));
execFileSync("sh", ["-c", `git -C "${repo}" archive HEAD contracts | tar -x -C "${headCopy}"`]);
execFileSync("sh", ["-c", `git -C "${repo}" archive HEAD contracts | tar -x -C "${touched}"`]);
for (const entry of await readdir(join(touched, "contracts"), { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const path = join(entry.parentPath, entry.name);
  const comment = entry.name.endsWith(".proto") ? "// touched\n" : /\.ya?ml$/.test(entry.name) ? "# touched\n" : "";
  if (comment) await writeFile(path, `${await readFile(path, "utf8")}${comment}`);
}

afterAll(async () => {
  await rm(headCopy, { recursive: true, force: true });
  await rm(touched, { recursive: true, force: true });
});

const cwd = repo;
const asyncapiFiles = async (root: string) =>
  (await readdir(join(root, "contracts/asyncapi")))
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => join(root, "contracts/asyncapi", name));
const parser = new Parser();
/** `asyncapi diff` on each pair of files: parse both sides, then classify with @asyncapi/diff. */
async function asyncapiDiffAll(baseRoot: string, headRoot: string): Promise<void> {
  for (const path of await asyncapiFiles(headRoot)) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const [base, head] = await Promise.all(
      [join(baseRoot, "contracts/asyncapi", name), path].map(
        async (file) => (await parser.parse(await readFile(file, "utf8"), { source: file })).document,
      ),
    );
    if (!base || !head) throw new Error(`@asyncapi/parser rejected ${name}`);
    asyncapiDiff(base.json() as never, head.json() as never, { outputType: "json" });
  }
}
const gitRef = (ref: string) => `${repo}/.git#ref=${ref},subdir=contracts/proto`;
const hasProto = git("ls-tree", "HEAD", "--", "contracts/proto/").length > 0;
// The external tools are slow enough that a few runs say what they cost.
const few = { iterations: 5, time: 0 };
const slow = { iterations: 2, time: 0, warmupIterations: 0 };
const bufBreaking = (input: string, against: string) =>
  execFileSync(buf, ["breaking", input, "--against", against, "--error-format", "json"]);

describe("contracts/ against itself at git HEAD", () => {
  bench("ecom compat --base HEAD --head HEAD (all three formats)", async () => {
    const [base, head] = await Promise.all([openContractSource("HEAD", { cwd }), openContractSource("HEAD", { cwd })]);
    const report = await compareContracts({ base: base.files, head: head.files });
    if (report.findings.length > 0) throw new Error("a tree compared with itself has no findings");
  });
  bench.skipIf(!hasProto)(
    "buf breaking <HEAD copy>/proto --against <HEAD copy>/proto (protobuf only)",
    () => {
      bufBreaking(join(headCopy, "contracts/proto"), join(headCopy, "contracts/proto"));
    },
    few,
  );
  bench.skipIf(!hasProto)(
    "buf breaking .git#ref=HEAD --against .git#ref=HEAD (protobuf only, buf reading git itself)",
    () => {
      bufBreaking(gitRef("HEAD"), gitRef("HEAD"));
    },
    few,
  );
  bench(
    "asyncapi diff: @asyncapi/parser + @asyncapi/diff on every AsyncAPI file (AsyncAPI only)",
    async () => {
      await asyncapiDiffAll(headCopy, headCopy);
    },
    slow,
  );
});

describe("contracts/ at git HEAD against a copy with every file touched", () => {
  bench(
    "ecom compat --base HEAD --head <copy> (all three formats)",
    async () => {
      const base = await openContractSource("HEAD", { cwd });
      await compareContracts({ base: base.files, head: createDirectoryFiles(join(touched, "contracts")) });
    },
    few,
  );
  bench.skipIf(!hasProto)(
    "buf breaking <copy>/proto --against <HEAD copy>/proto (protobuf only)",
    () => {
      bufBreaking(join(touched, "contracts/proto"), join(headCopy, "contracts/proto"));
    },
    few,
  );
  bench(
    "asyncapi diff: @asyncapi/parser + @asyncapi/diff on every AsyncAPI file (AsyncAPI only)",
    async () => {
      await asyncapiDiffAll(headCopy, touched);
    },
    slow,
  );
});
