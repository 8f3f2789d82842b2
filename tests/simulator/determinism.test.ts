import { allContexts } from "@ecom/services";
import { createPlatform } from "@ecom/simulator";
import { describe, expect, it } from "vitest";

const quiet = { info() {}, warn() {}, error() {} };

/** Start the whole platform in memory with a seed and return what its first start wrote to the event log. */
async function firstStart(seed: number) {
  const platform = await createPlatform({ contexts: allContexts, memory: true, seed, log: quiet });
  try {
    await platform.settle();
    const events = await platform.eventLog.read({ afterSeq: 0, limit: 1000 });
    return events.map((event) => {
      const { traceId: _trace, ...envelope } = JSON.parse(event.envelope) as Record<string, unknown>;
      return envelope;
    });
  } finally {
    await platform.close();
  }
}

describe("--seed", () => {
  it("reproduces ids, times and payloads of a run exactly", async () => {
    const first = await firstStart(2026);
    const second = await firstStart(2026);
    expect(first.length).toBeGreaterThan(200);
    expect(second).toEqual(first);
  });

  it("gives another run with another seed", async () => {
    const [a, b] = [await firstStart(1), await firstStart(2)];
    expect(a.map((event) => event.eventId)).not.toEqual(b.map((event) => event.eventId));
  });
});
