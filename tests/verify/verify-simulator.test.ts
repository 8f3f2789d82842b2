import { join } from "node:path";
import { run } from "@ecom/cli";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

// `ecom verify` against the simulator (what `ecom sim up` serves): every implemented operation passes, exit 0.

const contracts = join(import.meta.dirname, "../../contracts");
const quiet = { info() {}, warn() {}, error() {} };
let platform: Platform;
let url: string;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 42, log: quiet });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

interface Finding {
  readonly ruleId: string;
  readonly severity: string;
  readonly message: string;
}

describe("ecom verify against the simulator", () => {
  it("passes every implemented operation, RPC and event, reporting the rest as not implemented (exit 0)", async () => {
    let stdout = "";
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    let code: number;
    try {
      const { email, password } = devAccounts.customer;
      code = await run([
        "node",
        "ecom",
        "verify",
        "--url",
        url,
        "--contracts",
        contracts,
        "--login",
        `${email}:${password}`,
        "--events",
        "--seed",
        "1",
        "--format",
        "json",
      ]);
    } finally {
      write.mockRestore();
    }
    const findings: Finding[] = JSON.parse(stdout).findings;
    const failures = findings.filter((finding) => finding.severity === "breaking");
    expect(failures.map((finding) => `${finding.ruleId}: ${finding.message}`)).toEqual([]);
    expect(code).toBe(0);
    // Every context of the contracts runs, so no REST operation is left answering 501.
    expect(findings.filter((finding) => finding.ruleId === "verify/rest-not-implemented")).toEqual([]);
    // Whatever answers 501 is reported as such, never counted as passed.
    for (const finding of findings.filter((entry) => entry.severity === "warning"))
      expect(finding.ruleId).toMatch(/^verify\/(rest|rpc)-not-implemented$/);
    // One pass over every contract: a few seconds on an idle machine (README); generous here for a loaded one.
  }, 120_000);
});
