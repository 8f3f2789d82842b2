import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, SEEDED_EPOCH } from "@ecom/simulator";
import { afterEach, describe, expect, it } from "vitest";
import { runCheckout } from "../../packages/cli/src/checkout-flow.js";
import { killAllSims, startSim } from "./sim-process.js";

// Issue 12, finding 4: the virtual clock is kept with the events it stamps, so after a SIGKILL at any point the
// clock resumes past the newest event and `occurredAt` never decreases along the log.

const folders: string[] = [];
afterEach(async () => {
  await killAllSims();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

/** A small deterministic generator, so each run kills at the same "random" points. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const STEPS = [
  "ecommerce.cart.cart.checked_out.v1",
  "ecommerce.inventory.stock.reserved.v1",
  "ecommerce.payment.payment.authorized.v1",
  "ecommerce.order.order.created.v1",
  "ecommerce.order.order.paid.v1",
];

async function logOf(url: string): Promise<{ seq: number; occurredAt: string; eventType: string }[]> {
  const events: { seq: number; occurredAt: string; eventType: string }[] = [];
  for (let since = 0; ; ) {
    const page = (await (await fetch(`${url}/_sim/log?since=${since}&limit=1000`)).json()) as {
      events: { seq: number; occurredAt: string; eventType: string }[];
    };
    events.push(...page.events);
    if (page.events.length < 1000) return events;
    since = page.events.at(-1)!.seq;
  }
}

describe("the virtual clock across SIGKILL", { timeout: 180_000 }, () => {
  it("resumes past the newest event: occurredAt never decreases along the log, wherever the process is killed", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "ecom-crash-clock-"));
    folders.push(dataDir);
    const random = generator(12);
    for (let round = 0; round < 3; round++) {
      const step = STEPS[Math.floor(random() * STEPS.length)]!;
      const sim = startSim(["--data", dataDir, "--port", "0", "--crash-after", step]);
      // A resumed saga may reach the step again while starting: that is a kill point as good as any.
      const url = await sim.url.catch(() => undefined);
      if (url) {
        // Hours of virtual time, then a checkout that stamps events after it until the kill.
        // A saga resumed by the start can still reach the step after the URL is out: the advance then finds the
        // process gone, and the SIGKILL asserted below is that kill.
        const advance = await fetch(`${url}/_sim/clock/advance`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ by: `${1 + Math.floor(random() * 2)}h45m` }),
        }).catch(() => undefined);
        if (advance) expect(advance.status).toBe(200);
        await runCheckout({
          baseUrl: url,
          email: devAccounts.customer.email,
          password: devAccounts.customer.password,
          cardNumber: "4242424242424242",
          timeoutMs: 3_000,
        }).catch(() => undefined);
        // A step the checkout did not reach (it had passed before the restart): kill it here instead.
        sim.child.kill("SIGKILL");
      }
      expect((await sim.exited).signal).toBe("SIGKILL");
    }
    const last = startSim(["--data", dataDir, "--port", "0"]);
    const url = await last.url;
    await runCheckout({
      baseUrl: url,
      email: devAccounts.customer.email,
      password: devAccounts.customer.password,
      cardNumber: "4242424242424242",
      timeoutMs: 20_000,
    });
    const events = await logOf(url);
    expect(events.length).toBeGreaterThan(0);
    const backwards = events.filter((event, index) => index > 0 && event.occurredAt < events[index - 1]!.occurredAt);
    expect(backwards.map((event) => `#${event.seq} ${event.eventType} ${event.occurredAt}`)).toEqual([]);
    const clock = (await (await fetch(`${url}/_sim/clock`)).json()) as { now: string };
    expect(clock.now >= events.at(-1)!.occurredAt).toBe(true);
  });

  it("resumes a seeded run killed after start past every id it made, so no new event collides", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "ecom-crash-seeded-"));
    folders.push(dataDir);
    const sim = startSim(["--data", dataDir, "--port", "0", "--seed", "9"]);
    await sim.url;
    sim.child.kill("SIGKILL");
    await sim.exited;
    const platform = await createPlatform({
      contexts: allContexts,
      dataDir,
      seed: 9,
      log: { info() {}, warn() {}, error() {} },
    });
    try {
      expect(platform.clock.now().getTime()).toBeGreaterThan(SEEDED_EPOCH.getTime());
      const outcome = await runCheckout({
        baseUrl: "http://ecom.in-process",
        fetch: platform.fetch,
        wait: () => platform.settle(),
        email: devAccounts.customer.email,
        password: devAccounts.customer.password,
        cardNumber: "4242424242424242",
        timeoutMs: 20_000,
      });
      expect(outcome.paid).toBe(true);
    } finally {
      await platform.close();
    }
  });
});
