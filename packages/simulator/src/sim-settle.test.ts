import { allContexts } from "@ecom/services";
import type { AnyContextModule } from "@ecom/services/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppliedClock } from "./applied-clock.js";
import { createPlatform, type Platform } from "./platform.js";
import { createSettleRoute, DEFAULT_SETTLE_TIMEOUT_MS, settleRequestOf } from "./sim-settle.js";

const quiet = { info() {}, warn() {}, error() {} };
const only = (...names: string[]) =>
  allContexts.filter((module) => names.includes(module.name)) as readonly AnyContextModule[];

describe("POST /_sim/settle on the embedded platform", () => {
  let platform: Platform;
  let url: string;
  beforeAll(async () => {
    platform = await createPlatform({ contexts: only("customer", "notification"), memory: true, seed: 7, log: quiet });
    url = await platform.listen(0);
  });
  afterAll(async () => {
    await platform?.close();
  });

  const settle = (body?: unknown) =>
    fetch(`${url}/_sim/settle`, { method: "POST", body: body === undefined ? "" : JSON.stringify(body) });

  it("answers once the welcome e-mail of a customer who just registered was sent, with the log's last sequence", async () => {
    const registered = await fetch(`${url}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: "settle@example.com",
        password: "a-long-enough-password",
        firstName: "S",
        lastName: "T",
      }),
    });
    expect(registered.status).toBe(201);

    const answer = await settle();
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ lastSeq: await platform.eventLog.lastSeq() });
    // Delivered (notification heard of the registration) and the background work done (the e-mail sent).
    const mailbox = (await (await fetch(`${url}/_sim/mailbox?to=settle@example.com`)).json()) as {
      messages: { subject: string }[];
    };
    expect(mailbox.messages).toHaveLength(1);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { contexts: Record<string, { lag: number }> };
    expect(Object.values(health.contexts).map((context) => context.lag)).toEqual([0, 0]);
  });

  it("takes how long to wait from the body, and refuses a body that does not say it", async () => {
    expect((await settle({ timeout: "2m" })).status).toBe(200);
    const refused = await settle({ timeout: "soon" });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: "validation", detail: expect.stringContaining('"timeout"') });
  });
});

describe("how long POST /_sim/settle waits", () => {
  it.each([
    ["nothing", { given: "", want: DEFAULT_SETTLE_TIMEOUT_MS }],
    ["an empty object", { given: "{}", want: DEFAULT_SETTLE_TIMEOUT_MS }],
    ["a duration", { given: '{"timeout": "2m"}', want: 120_000 }],
    ["milliseconds", { given: '{"timeout": 1500}', want: 1500 }],
    ["no time at all", { given: '{"timeout": 0}', want: undefined }],
    ["a day", { given: '{"timeout": "1d"}', want: 86_400_000 }],
    ["more than a day (past what a timer can wait)", { given: '{"timeout": "25d"}', want: undefined }],
    ["words", { given: '{"timeout": "soon"}', want: undefined }],
    ["not JSON", { given: "2m", want: undefined }],
    ["a list", { given: '["2m"]', want: undefined }],
  ])("%s: %s", (_name, { given, want }) => {
    expect(settleRequestOf(given)?.timeoutMs).toBe(want);
  });
});

describe("the shared clock a POST /_sim/settle carries", () => {
  it.each([
    ["none", { given: '{"timeout": "2m"}', want: undefined }],
    ["an ISO time", { given: '{"clock": "2026-01-01T00:15:00.000Z"}', want: "2026-01-01T00:15:00.000Z" }],
  ])("%s: %s", (_name, { given, want }) => {
    expect(settleRequestOf(given)?.clock?.toISOString()).toBe(want);
  });

  it.each([
    ["a date without its time", '{"clock": "2026-01-01"}'],
    ["a time that is no time", '{"clock": "2026-13-45T99:00:00.000Z"}'],
    ["a number", '{"clock": 1767225600000}'],
  ])("refuses %s", (_name, given) => {
    expect(settleRequestOf(given)).toBeUndefined();
  });
});

describe("one process's settle route", () => {
  /** A settle() that ends when the test says, counting its runs. */
  const controlled = () => {
    const ends: (() => void)[] = [];
    return {
      settle: () => new Promise<void>((resolve) => ends.push(resolve)),
      runs: () => ends.length,
      end: (run: number) => ends[run]?.(),
    };
  };

  it("runs one settle at a time: a request that comes meanwhile runs its own after the one under way", async () => {
    const platform = controlled();
    const route = createSettleRoute({ settle: platform.settle, lastSeq: async () => 42 });
    const first = route(60_000);
    const second = route(60_000);
    await Promise.resolve();
    expect(platform.runs()).toBe(1);
    platform.end(0);
    expect(await first).toEqual({ lastSeq: 42 });
    await expect.poll(platform.runs).toBe(2);
    platform.end(1);
    expect(await second).toEqual({ lastSeq: 42 });
  });

  it("answers 503 when the platform does not settle in time, and the next request waits for that settle", async () => {
    const platform = controlled();
    const route = createSettleRoute({ settle: platform.settle, lastSeq: async () => 1 });
    await expect(route(1)).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringMatching(/did not settle within 1ms/),
    });
    const next = route(60_000);
    expect(platform.runs()).toBe(1);
    platform.end(0);
    await expect.poll(platform.runs).toBe(2);
    platform.end(1);
    expect(await next).toEqual({ lastSeq: 1 });
  });

  it("waits until the process applied the shared clock the settle carries, and only then settles", async () => {
    const platform = controlled();
    const applied = new AppliedClock(new Date("2026-01-01T00:00:00.000Z"));
    const route = createSettleRoute({
      settle: platform.settle,
      lastSeq: async () => 7,
      clockApplied: (time, signal) => applied.reached(time, signal),
    });
    const answer = route(60_000, new Date("2026-01-01T00:15:00.000Z"));
    // An advance the gateway wrote to the sim bucket that this process has not applied: its ticks are still to run.
    applied.mark(new Date("2026-01-01T00:10:00.000Z"));
    await Promise.resolve();
    expect(platform.runs()).toBe(0);
    applied.mark(new Date("2026-01-01T00:15:00.000Z"));
    await expect.poll(platform.runs).toBe(1);
    platform.end(0);
    expect(await answer).toEqual({ lastSeq: 7 });
    // A clock applied already holds nothing up.
    const next = route(60_000, new Date("2026-01-01T00:05:00.000Z"));
    await expect.poll(platform.runs).toBe(2);
    platform.end(1);
    expect(await next).toEqual({ lastSeq: 7 });
  });

  it("answers 503 naming the clock when the process does not apply it in time, holding up no other settle", async () => {
    const platform = controlled();
    const applied = new AppliedClock(new Date("2026-01-01T00:00:00.000Z"));
    const route = createSettleRoute({
      settle: platform.settle,
      lastSeq: async () => 1,
      clockApplied: (time, signal) => applied.reached(time, signal),
    });
    await expect(route(1, new Date("2026-01-01T00:15:00.000Z"))).rejects.toMatchObject({
      code: "unavailable",
      message: expect.stringMatching(/did not apply the shared clock's advance to 2026-01-01T00:15:00.000Z within 1ms/),
    });
    expect(platform.runs()).toBe(0);
    const next = route(60_000);
    await expect.poll(platform.runs).toBe(1);
    platform.end(0);
    expect(await next).toEqual({ lastSeq: 1 });
  });

  it("answers 503 with the reason when settling gives up (events that keep producing events)", async () => {
    const route = createSettleRoute({
      settle: async () => {
        throw new Error("the platform did not settle: events keep producing events");
      },
      lastSeq: async () => 1,
    });
    await expect(route(60_000)).rejects.toMatchObject({
      code: "unavailable",
      message: "The platform did not settle: events keep producing events.",
    });
  });
});
