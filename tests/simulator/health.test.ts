import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type HealthReport, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCheckout } from "../../packages/cli/src/checkout-flow.js";
import { run } from "../../packages/cli/src/main.js";

// Issue 12, finding 5: state that matters is visible. After the processor outage is switched off, checkouts keep
// failing while the payment processor's circuit breaker is open; /healthz (and `ecom sim status`) must say so.

const quiet = { info() {}, warn() {}, error() {} };
let platform: Platform;
let url: string;
beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 3, log: quiet });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

async function healthz(): Promise<{ status: number; body: HealthReport }> {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: (await response.json()) as HealthReport };
}

const checkout = () =>
  runCheckout({
    baseUrl: url,
    email: devAccounts.customer.email,
    password: devAccounts.customer.password,
    cardNumber: "4242424242424242",
    wait: () => platform.settle(),
    timeoutMs: 20_000,
  });

async function status(...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await run(["node", "ecom", "sim", "status", "--url", url, ...args]), stdout };
  } finally {
    spy.mockRestore();
  }
}

describe("/healthz and ecom sim status", () => {
  it("say ok with every context's state, the clock and no faults when all is well", async () => {
    const { status: code, body } = await healthz();
    expect(code).toBe(200);
    expect(body).toMatchObject({ status: "ok", reasons: [], activeFaults: [], dataDir: null });
    expect(body.clock).toEqual({ now: body.now, frozen: true });
    expect(Object.keys(body.contexts).sort()).toEqual(allContexts.map((context) => context.name).sort());
    expect(body.contexts.order).toMatchObject({ state: "ok", lag: 0, deadLetters: 0 });
    expect(body.contexts.payment?.breakers).toEqual([
      { name: "payment processor", state: "closed" },
      { name: "payment processor (SOAP)", state: "closed" },
    ]);
    expect((await status()).code).toBe(0);
  });

  it("stay degraded, naming the open breaker and when it reopens, after the outage is switched off", async () => {
    platform.faults.paymentProcessorDown = true;
    const during = await healthz();
    expect(during.body.status).toBe("degraded");
    expect(during.body.reasons).toContain("fault paymentProcessorDown is on (POST /_sim/faults to switch it off)");
    expect((await checkout()).paid).toBe(false);
    platform.faults.paymentProcessorDown = false;

    const after = await healthz();
    expect(after.status).toBe(200);
    expect(after.body.status).toBe("degraded");
    expect(after.body.activeFaults).toEqual([]);
    const reopensAt = new Date(new Date(after.body.now).getTime() + 30_000).toISOString();
    expect(after.body.contexts.payment).toMatchObject({
      state: "degraded",
      // The processor behind both interfaces was down: SOAP's breaker opened, then REST's.
      breakers: [
        { name: "payment processor", state: "open", reopensAt },
        { name: "payment processor (SOAP)", state: "open", reopensAt },
      ],
    });
    expect(after.body.reasons).toEqual([
      `payment: circuit breaker payment processor is open until ${reopensAt} (virtual clock)`,
      `payment: circuit breaker payment processor (SOAP) is open until ${reopensAt} (virtual clock)`,
    ]);
    const text = await status();
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${url}: degraded`);
    expect(text.stdout).toMatch(/payment\s+degraded.*payment processor open until/);

    await platform.advanceClock(30_000);
    expect((await healthz()).body).toMatchObject({ status: "ok", reasons: [] });
    expect((await checkout()).paid).toBe(true);
  });
});
