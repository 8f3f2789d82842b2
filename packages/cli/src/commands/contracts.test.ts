import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runEcom } from "../__fixtures__/run-ecom.js";

/** A copy of the real contracts trimmed to three contexts; it lints clean, so any finding is the test's break. */
const realistic = join(import.meta.dirname, "../../../contracts/src/lint/__fixtures__/realistic");
let work: string;
let copies = 0;

/** A fresh copy of the realistic contracts. */
async function copyOfContracts(): Promise<string> {
  const dir = join(work, `contracts-${++copies}`);
  await cp(realistic, dir, { recursive: true });
  return dir;
}

/** Replace the first `from` after `after` in a file of `dir`, and return the 1-based line where `to` now starts. */
async function breakFile(dir: string, path: string, from: string, to: string, after = ""): Promise<number> {
  const text = await readFile(join(dir, path), "utf8");
  const index = text.indexOf(from, text.indexOf(after));
  if (index === -1) throw new Error(`${path} does not contain ${from}`);
  await writeFile(join(dir, path), text.slice(0, index) + to + text.slice(index + from.length));
  return text.slice(0, index).split("\n").length;
}

interface JsonReport {
  findings: { ruleId: string; severity: string; file: string; line: number; message: string }[];
  summary: { errors: number; warnings: number };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ecom-contracts-lint-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  // run() reads the exit code a command leaves in process.exitCode; do not let one case leak into the next.
  process.exitCode = undefined;
});

describe("ecom contracts lint", () => {
  it("exits 0 and says so on contracts without problems", async () => {
    const dir = await copyOfContracts();
    const result = await runEcom("contracts", "lint", "--dir", dir);
    expect(result).toMatchObject({ code: 0, stdout: "No problems found.\n" });
  });

  // The "Done when" of the contracts issue: each break exits 1 with a finding that names the file and line.
  it.each([
    [
      "a second producer of an event",
      {
        given: (dir: string) =>
          breakFile(
            dir,
            "contexts.yaml",
            "    publishes: []",
            "    publishes: [ecommerce.cart.cart.checked_out.v1]",
            "  promotion:",
          ),
        want: { ruleId: "context-map/event-one-producer", file: "contexts.yaml" },
      },
    ],
    [
      "a call cycle",
      {
        given: (dir: string) =>
          breakFile(dir, "contexts.yaml", "dependsOn: [catalog]", "dependsOn: [catalog, cart]", "  promotion:"),
        want: { ruleId: "context-map/no-cycle", file: "contexts.yaml" },
      },
    ],
    [
      "an example that does not match its schema",
      {
        given: (dir: string) => breakFile(dir, "asyncapi/cart.yaml", "quantity: 2", "quantity: 0", "name: twoCopies"),
        want: { ruleId: "example/matches-schema", file: "asyncapi/cart.yaml" },
      },
    ],
    [
      "a proto file that breaks buf's standard lint rules",
      {
        given: async (dir: string) => {
          const path = "proto/ecom/catalog/v1/catalog.proto";
          const lines = (await readFile(join(dir, path), "utf8")).split("\n").length;
          await appendFile(
            join(dir, path),
            "\n// Stock as a shelf sees it.\nmessage ShelfStock {\n  int32 onHand = 1;\n}\n",
          );
          return lines + 3;
        },
        want: { ruleId: "proto/buf-lint", file: "proto/ecom/catalog/v1/catalog.proto" },
      },
    ],
  ])("exits 1 on %s, naming the file and line", async (_name, { given, want }) => {
    const dir = await copyOfContracts();
    const line = await given(dir);
    const result = await runEcom("contracts", "lint", "--dir", dir, "--format", "json");
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.findings).toContainEqual(
      expect.objectContaining({ ruleId: want.ruleId, severity: "error", file: `${dir}/${want.file}`, line }),
    );
    expect(report.summary.errors).toBeGreaterThan(0);
  });

  it("prints text findings as file:line  severity  rule-id  message, then the counts", async () => {
    const dir = await copyOfContracts();
    const line = await breakFile(dir, "asyncapi/cart.yaml", "quantity: 2", "quantity: 0", "name: twoCopies");
    const result = await runEcom("contracts", "lint", "--dir", dir);
    expect(result.code).toBe(1);
    expect(result.stdout.split("\n")).toEqual([
      expect.stringMatching(
        new RegExp(`^${dir}/asyncapi/cart\\.yaml:${line}  error  example/matches-schema  .*/quantity must be >= 1`),
      ),
      "1 error, 0 warnings",
      "",
    ]);
  });

  it.each([
    [
      "a folder that does not exist",
      { args: ["--dir", "/nonexistent/contracts"], want: "/nonexistent/contracts is not a folder of contracts" },
    ],
    ["an unknown format", { args: ["--format", "xml"], want: "unknown --format 'xml'; use one of text, json" }],
  ])("exits 2 with one line on %s", async (_name, { args, want }) => {
    const dir = await copyOfContracts();
    const result = await runEcom("contracts", "lint", "--dir", dir, ...args);
    expect(result).toMatchObject({ code: 2, stdout: "", stderr: `ecom: ${want}\n` });
  });

  it("exits 2 naming the file and line of a contract that is not YAML", async () => {
    const dir = await copyOfContracts();
    const line = await breakFile(dir, "openapi/cart.yaml", "  /carts:\n", "  /carts: [unclosed\n");
    const result = await runEcom("contracts", "lint", "--dir", dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^ecom: ${dir}/openapi/cart\\.yaml:${line}: cannot parse: .+\\n$`));
  });
});
