import { join } from "node:path";
import { run } from "@ecom/cli";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startBrokenServer } from "./broken-server.js";

// `ecom verify` against a server that breaks the fixture contracts in ten ways: each is reported, exit 1.

const contracts = join(import.meta.dirname, "__fixtures__/shop");
let server: Awaited<ReturnType<typeof startBrokenServer>>;

beforeAll(async () => {
  server = await startBrokenServer();
});
afterAll(async () => {
  await server.close();
});

interface Finding {
  readonly ruleId: string;
  readonly severity: string;
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

async function verify(...extra: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await run([
      "node",
      "ecom",
      "verify",
      "--url",
      server.url,
      "--contracts",
      contracts,
      "--seed",
      "7",
      ...extra,
    ]);
    return { code, stdout };
  } finally {
    write.mockRestore();
  }
}

describe("ecom verify against a server that breaks the contract", () => {
  let findings: Finding[];
  let code: number;

  beforeAll(async () => {
    const result = await verify("--events", "--format", "json");
    code = result.code;
    findings = JSON.parse(result.stdout).findings;
  });

  it("exits 1", () => {
    expect(code).toBe(1);
  });

  it.each([
    ["a wrong status", "verify/rest-status-undocumented", "ping (GET /ping)", "got 204"],
    [
      "a missing required response field",
      "verify/rest-response-schema",
      "getItem (GET /items/{itemId})",
      "must have required property 'name'",
    ],
    [
      "a field of the wrong type",
      "verify/rest-response-schema",
      "listItems (GET /items)",
      "/items/0/price must be integer",
    ],
    ["a 500 on bad input", "verify/rest-bad-input-server-error", "createOrder (POST /orders)", "got 500"],
    ["a 2xx on bad input", "verify/rest-bad-input-accepted", "createNote (POST /notes)", "got 202"],
    [
      "an error that is not problem+json",
      "verify/rest-problem-json",
      "getPrice (GET /prices/{sku})",
      "got application/json",
    ],
    ["an undocumented status", "verify/rest-status-undocumented", "deleteItem (DELETE /items/{itemId})", "got 418"],
    ["a wrong Location", "verify/rest-location", "createItem (POST /items)", "/nowhere/itm_1"],
    [
      "a bad event payload",
      "verify/event-invalid",
      "ecommerce.shop.item.created.v1 (event evt_2)",
      "must have required property 'name'",
    ],
    [
      "a wrong RPC error code",
      "verify/rpc-invalid-argument",
      "ecom.shop.v1.ShopService/GetItem",
      "expected invalid_argument, got internal",
    ],
    [
      "an internal-only RPC serving an outside caller",
      "verify/rpc-permission",
      "ecom.shop.v1.ShopService/ChargeItem",
      "expected permission_denied",
    ],
  ])("reports %s", (_name, ruleId, where, detail) => {
    const found = findings.filter((finding) => finding.ruleId === ruleId && finding.message.includes(where));
    expect(found.map((finding) => finding.message).join("\n")).toContain(detail);
    expect(found.every((finding) => finding.severity === "breaking")).toBe(true);
  });

  it("names the operation, a curl line and the contract's file and line of each REST failure", () => {
    const failure = findings.find((finding) => finding.ruleId === "verify/rest-bad-input-server-error");
    expect(failure?.file).toMatch(/__fixtures__\/shop\/openapi\/shop\.yaml$/);
    expect(failure?.line).toBeGreaterThan(1);
    expect(failure?.message).toMatch(/curl -i -X POST '.*\/orders' --data /);
  });

  it("sends the same requests for the same seed", async () => {
    const again = await verify("--events", "--format", "json");
    expect(JSON.parse(again.stdout).findings).toEqual(findings);
  });

  it("prints text with the counts and the seed, and exits 2 for a URL nothing listens on", async () => {
    const text = await verify("--context", "shop");
    expect(text.stdout).toMatch(
      /^ecom verify: \d+ failed, \d+ warnings?, \d+ info \(8 operations, 2 RPC methods, \d+ requests; --seed 7\)$/m,
    );
    // A port that was just free: a server started and closed again, so nothing listens there.
    const gone = await startBrokenServer();
    await gone.close();
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      expect(await run(["node", "ecom", "verify", "--url", gone.url, "--contracts", contracts])).toBe(2);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/^ecom: cannot reach the implementation: GET .* ECONNREFUSED/);
    } finally {
      stderr.mockRestore();
    }
  });
});
