import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { CompatError } from "./compat-error.js";
import { openContractSource } from "./contract-source.js";

const cart = `openapi: 3.1.0
info: { title: cart, version: 1.0.0 }
paths:
  /carts/{cartId}:
    get:
      parameters:
        - { name: cartId, in: path, required: true, schema: { $ref: "../common/schemas.yaml#/CartId" } }
      responses:
        "200":
          description: The cart.
          content:
            application/json:
              schema: { $ref: "#/components/schemas/Cart" }
components:
  schemas:
    Cart:
      type: object
      additionalProperties: false
      required: [cartId, total]
      properties:
        cartId: { $ref: "../common/schemas.yaml#/CartId" }
        total: { type: integer, minimum: 0 }
`;
const shared = `CartId: { type: string, pattern: "^crt_[0-9A-Z]{26}$" }\n`;

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe("compareContracts", () => {
  it("finds nothing when both sides are the same", async () => {
    const files = { "openapi/cart.yaml": cart, "common/schemas.yaml": shared };
    const report = await compareContracts({ base: createMemoryFiles(files), head: createMemoryFiles(files) });
    expect(report).toEqual({ findings: [], summary: { breaking: 0, warning: 0, info: 0 } });
  });

  it("compares a folder that lacks some kinds of contract as having none of them", async () => {
    const report = await compareContracts({
      base: createMemoryFiles({ "openapi/cart.yaml": cart, "common/schemas.yaml": shared }),
      head: createMemoryFiles({
        "openapi/cart.yaml": cart,
        "common/schemas.yaml": shared,
        "asyncapi/cart.yaml": "asyncapi: 3.0.0\n",
      }),
    });
    expect(report.findings).toEqual([]);
  });

  it("sorts findings breaking first and counts them", async () => {
    const head = cart
      .replace("total: { type: integer, minimum: 0 }", "total: { type: integer, minimum: 0, description: Sum. }")
      .replace("required: [cartId, total]", "required: [cartId]");
    const report = await compareContracts({
      base: createMemoryFiles({ "openapi/cart.yaml": cart, "common/schemas.yaml": shared }),
      head: createMemoryFiles({ "openapi/cart.yaml": head, "common/schemas.yaml": shared }),
    });
    expect(report.findings.map((finding) => finding.ruleId)).toEqual([
      "openapi/response-property-became-optional",
      "openapi/docs-changed",
    ]);
    expect(report.summary).toEqual({ breaking: 1, warning: 0, info: 1 });
  });

  it("rejects a changed file that does not parse, naming the side, the file and the line", async () => {
    const run = compareContracts({
      base: createMemoryFiles({ "openapi/cart.yaml": cart }),
      head: createMemoryFiles({ "openapi/cart.yaml": `${cart}  broken: [\n` }),
    });
    await expect(run).rejects.toThrowError(CompatError);
    await expect(run).rejects.toThrowError(/^head \(memory\): openapi\/cart\.yaml:\d+: /);
    await expect(run).rejects.toMatchObject({ code: "unparsable-contract" });
  });
});

describe("openContractSource", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", ["-C", repo, ...args], { stdio: "pipe" });

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), "ecom-compat-git-"));
    await write(join(repo, "contracts"), { "openapi/cart.yaml": cart, "common/schemas.yaml": shared });
    git("init", "-q");
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "add", ".");
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-q", "-m", "contracts");
  });
  afterAll(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it("reads a git ref without checking it out, and the working tree by default", async () => {
    const base = await openContractSource("HEAD", { cwd: repo });
    const head = await openContractSource(undefined, { cwd: repo });
    expect(head.displayRoot).toBe("contracts");
    expect(base.displayRoot).toBe("contracts");
    const unchanged = await compareContracts({ base: base.files, head: head.files, fileRoot: head.displayRoot });
    expect(unchanged.findings).toEqual([]);

    await writeFile(join(repo, "contracts/openapi/cart.yaml"), cart.replace("minimum: 0", "minimum: 1"));
    try {
      const report = await compareContracts({ base: base.files, head: head.files, fileRoot: head.displayRoot });
      expect(report.findings.map((finding) => [finding.ruleId, finding.file, finding.line])).toEqual([
        ["openapi/response-constraint-tightened", "contracts/openapi/cart.yaml", 22],
      ]);
    } finally {
      await writeFile(join(repo, "contracts/openapi/cart.yaml"), cart);
    }
  });

  it("takes a checkout folder that holds contracts/ as well as a contracts folder", async () => {
    const source = await openContractSource(repo, { cwd: tmpdir() });
    expect(await source.files.list()).toEqual(["common/schemas.yaml", "openapi/cart.yaml"]);
  });

  it("rejects something that is neither a folder nor a ref, naming it", async () => {
    await expect(openContractSource("no-such-branch", { cwd: repo })).rejects.toThrowError(
      /'no-such-branch' is neither a folder nor a known git ref/,
    );
    await expect(openContractSource("no-such-branch", { cwd: repo })).rejects.toMatchObject({ code: "unknown-source" });
  });
});
