import { execFileSync } from "node:child_process";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runEcom } from "../__fixtures__/run-ecom.js";

// A small but complete contract set (OpenAPI, AsyncAPI, proto, context map) whose changes the cases make.
const fixture = join(import.meta.dirname, "../../../contracts/src/compat/__fixtures__/shop");
let work: string;
let caseNumber = 0;

/** Copy the fixture to a fresh base and head, apply `edits` to the head, and return both folders. */
async function pair(edits: Record<string, [string, string][]>): Promise<{ base: string; head: string }> {
  const root = join(work, `case-${++caseNumber}`);
  const base = join(root, "base");
  const head = join(root, "head");
  await cp(fixture, base, { recursive: true });
  await cp(fixture, head, { recursive: true });
  for (const [file, replacements] of Object.entries(edits)) {
    let text = await readFile(join(head, file), "utf8");
    for (const [from, to] of replacements) {
      if (!text.includes(from)) throw new Error(`fixture ${file} has no ${JSON.stringify(from)}`);
      text = text.replace(from, to);
    }
    await writeFile(join(head, file), text);
  }
  return { base, head };
}

interface Case {
  readonly edits: Record<string, [string, string][]>;
  readonly args?: readonly string[];
  readonly want: { readonly code: number; readonly rules: readonly string[]; readonly consumers?: readonly string[] };
}

const cases: [string, Case][] = [
  [
    "OpenAPI, breaking: an optional request property made required",
    {
      edits: { "openapi/shop.yaml": [["required: [sku]", "required: [sku, note]"]] },
      want: { code: 1, rules: ["openapi/request-property-became-required"] },
    },
  ],
  [
    "OpenAPI, not breaking: an optional request property added",
    {
      edits: {
        "openapi/shop.yaml": [
          ["        note: { type: string }\n", "        note: { type: string }\n        gift: { type: boolean }\n"],
        ],
      },
      want: { code: 0, rules: ["openapi/request-property-added"] },
    },
  ],
  [
    "OpenAPI, breaking: a success status replaced by another",
    {
      edits: { "openapi/shop.yaml": [['        "201":', '        "202":']] },
      want: { code: 1, rules: ["openapi/response-status-added", "openapi/response-success-status-removed"] },
    },
  ],
  [
    "OpenAPI, warning: an enum value added to a response",
    {
      edits: { "openapi/shop.yaml": [["enum: [PLACED, SHIPPED]", "enum: [PLACED, SHIPPED, RETURNED]"]] },
      want: { code: 0, rules: ["openapi/response-enum-value-added"] },
    },
  ],
  [
    "OpenAPI, warning fails the gate with --fail-on warning",
    {
      edits: { "openapi/shop.yaml": [["enum: [PLACED, SHIPPED]", "enum: [PLACED, SHIPPED, RETURNED]"]] },
      args: ["--fail-on", "warning"],
      want: { code: 1, rules: ["openapi/response-enum-value-added"] },
    },
  ],
  [
    "AsyncAPI, breaking: a required field removed from a published event",
    {
      edits: {
        "asyncapi/shop.yaml": [
          ["required: [orderId, total]", "required: [orderId]"],
          ['        total: { $ref: "../common/schemas.yaml#/Money" }\n', ""],
        ],
      },
      want: { code: 1, rules: ["asyncapi/response-required-property-removed"], consumers: ["warehouse"] },
    },
  ],
  [
    "AsyncAPI, not breaking: a .v2 event published beside the .v1",
    {
      edits: {
        "asyncapi/shop.yaml": [
          [
            "  cancelOrder:\n    address:",
            '  orderPlacedV2:\n    address: ecommerce.shop.order.placed.v2\n    messages:\n      orderPlaced: { $ref: "#/components/messages/OrderPlaced" }\n  cancelOrder:\n    address:',
          ],
        ],
      },
      want: { code: 0, rules: ["asyncapi/event-version-added"] },
    },
  ],
  [
    "AsyncAPI, breaking: a received command's field tightened (request rules)",
    {
      edits: {
        "asyncapi/shop.yaml": [["reason: { type: string, maxLength: 200 }", "reason: { type: string, maxLength: 20 }"]],
      },
      want: { code: 1, rules: ["asyncapi/request-constraint-tightened"], consumers: ["support"] },
    },
  ],
  [
    "protobuf, breaking: an RPC removed",
    {
      edits: {
        "proto/ecom/shop/v1/shop.proto": [["  rpc GetOrder(GetOrderRequest) returns (GetOrderResponse);\n", ""]],
      },
      want: { code: 1, rules: ["proto/rpc-removed"], consumers: ["warehouse"] },
    },
  ],
  [
    "protobuf, breaking: a field deleted (buf FILE)",
    {
      edits: { "proto/ecom/shop/v1/shop.proto": [["  int64 total_minor = 3;\n", ""]] },
      want: { code: 1, rules: ["proto/FIELD_NO_DELETE"], consumers: ["warehouse"] },
    },
  ],
  [
    "protobuf, not breaking: a field added",
    {
      edits: {
        "proto/ecom/shop/v1/shop.proto": [
          ["  int64 total_minor = 3;\n", "  int64 total_minor = 3;\n  string currency = 4;\n"],
        ],
      },
      want: { code: 0, rules: [] },
    },
  ],
  [
    "documentation only: info, never breaking",
    {
      edits: {
        "openapi/shop.yaml": [["summary: Fetch an order", "summary: Fetch one order by id"]],
        "common/schemas.yaml": [["description: An amount in minor units with its currency.", "description: Money."]],
      },
      want: { code: 0, rules: ["openapi/docs-changed", "openapi/docs-changed"] },
    },
  ],
];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "ecom-compat-cli-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
});

describe("ecom compat --base <dir> --head <dir> --format json", () => {
  it.each(cases)("%s", async (_name, { edits, args = [], want }) => {
    const { base, head } = await pair(edits);
    const result = await runEcom("compat", "--base", base, "--head", head, "--format", "json", ...args);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout) as { findings: { ruleId: string; consumers: string[] }[] };
    expect({ code: result.code, rules: report.findings.map((finding) => finding.ruleId).sort() }).toEqual({
      code: want.code,
      rules: [...want.rules].sort(),
    });
    if (want.consumers) expect(report.findings[0]?.consumers).toEqual(want.consumers);
  });

  it("exits 2 naming a changed file that does not parse", async () => {
    const { base, head } = await pair({ "asyncapi/shop.yaml": [["  orderPlaced:\n", "  orderPlaced: [\n"]] });
    const result = await runEcom("compat", "--base", base, "--head", head);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ecom: head \(.*\): asyncapi\/shop\.yaml:\d+: /);
    expect(result.stdout).toBe("");
  });

  it("exits 2 for a --base that is neither a folder nor a git ref", async () => {
    const result = await runEcom("compat", "--base", join(work, "no-such-folder"), "--head", fixture);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no-such-folder");
  });

  it("prints the other formats: github annotations, markdown, junit", async () => {
    const { base, head } = await pair({ "openapi/shop.yaml": [["required: [sku]", "required: [sku, note]"]] });
    const github = await runEcom("compat", "--base", base, "--head", head, "--format", "github");
    expect(github.stdout).toMatch(
      /^::error file=.*openapi\/shop\.yaml,line=\d+,title=openapi\/request-property-became-required::/,
    );
    const markdown = await runEcom("compat", "--base", base, "--head", head, "--format", "markdown");
    expect(markdown.stdout.split("\n")[0]).toBe("### ecom compat: ❌ 1 breaking, 0 warnings, 0 info");
    const junit = await runEcom("compat", "--base", base, "--head", head, "--format", "junit");
    expect(junit.stdout).toContain('failures="1"');
  });
});

describe("ecom compat --base HEAD", () => {
  let repo: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=ci@example.com", "-c", "user.name=ci", "-C", repo, ...args], {
      stdio: "pipe",
    });
  const cwd = process.cwd();

  beforeAll(async () => {
    repo = join(work, "repo");
    await cp(fixture, join(repo, "contracts"), { recursive: true });
    git("init", "-q");
    git("add", ".");
    git("commit", "-q", "-m", "contracts");
  });
  afterEach(() => {
    process.chdir(cwd);
  });

  it("exits 0 with no findings on an unchanged tree", async () => {
    process.chdir(repo);
    const result = await runEcom("compat", "--base", "HEAD", "--format", "json");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ findings: [], summary: { breaking: 0, warning: 0, info: 0 } });
  });

  it("gates a working-tree change against HEAD, with paths from the repository root", async () => {
    const file = join(repo, "contracts/proto/ecom/shop/v1/shop.proto");
    const original = await readFile(file, "utf8");
    await writeFile(
      file,
      original.replace("  rpc CancelOrder(CancelOrderRequest) returns (CancelOrderResponse);\n", ""),
    );
    try {
      process.chdir(repo);
      const result = await runEcom("compat", "--base", "HEAD", "--format", "github");
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        "::error file=contracts/proto/ecom/shop/v1/shop.proto,line=6,title=proto/rpc-removed::",
      );
      expect(result.stdout).toContain("Consumers: support.");
    } finally {
      await writeFile(file, original);
    }
  });

  it("exits 2 naming an unknown ref", async () => {
    process.chdir(repo);
    const result = await runEcom("compat", "--base", "origin/no-such-branch");
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("'origin/no-such-branch' is neither a folder nor a known git ref");
  });
});
