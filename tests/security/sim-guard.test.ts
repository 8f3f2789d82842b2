import { defineContext, type TokenService } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterEach, describe, expect, it } from "vitest";

// /_sim is the developer's on loopback, and the admin's once the port is reachable from elsewhere.

let tokens: TokenService | undefined;
const testKit = defineContext<unknown>({
  name: "testkit",
  migrations: {},
  create(runtime) {
    tokens = runtime.tokens;
    return {};
  },
});

let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
});

async function listenOn(host: string): Promise<string> {
  platform = await createPlatform({
    contexts: [testKit],
    memory: true,
    seed: 1,
    log: { info() {}, warn() {}, error() {} },
  });
  const url = new URL(await platform.listen(0, host));
  return `http://127.0.0.1:${url.port}`;
}

const bearer = (role: "admin" | "customer") => ({
  authorization: `Bearer ${tokens!.issue({ customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role }, { expiresInSeconds: 600 })}`,
});

describe("/_sim on a non-loopback address", () => {
  it("refuses the event log, the event stream, clock advances and fault switches without the admin token", async () => {
    const url = await listenOn("0.0.0.0");
    const advance = { method: "POST", body: '{"by":"1m"}', headers: { "content-type": "application/json" } };
    expect((await fetch(`${url}/_sim/log`)).status).toBe(401);
    expect((await fetch(`${url}/_sim/events?since=0`)).status).toBe(401);
    expect((await fetch(`${url}/_sim/clock/advance`, advance)).status).toBe(401);
    expect((await fetch(`${url}/_sim/faults`, { ...advance, body: '{"inventoryDown":true}' })).status).toBe(401);
    expect((await fetch(`${url}/_sim/log`, { headers: bearer("customer") })).status).toBe(403);
    expect(platform!.faults.inventoryDown).toBe(false);
  });

  it("answers the admin, and leaves /healthz, the clock and the fault switches readable to all", async () => {
    const url = await listenOn("0.0.0.0");
    expect((await fetch(`${url}/_sim/log`, { headers: bearer("admin") })).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/_sim/clock`)).status).toBe(200);
    expect((await fetch(`${url}/_sim/faults`)).status).toBe(200);
  });
});

describe("/_sim on loopback", () => {
  it("stays open to the developer without a token", async () => {
    const url = await listenOn("127.0.0.1");
    expect((await fetch(`${url}/_sim/log`)).status).toBe(200);
  });
});
