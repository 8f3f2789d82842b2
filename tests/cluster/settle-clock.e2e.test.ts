import type { ClusterMember, Platform } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../backends/backends.js";
import { type SplitCluster, startSplitCluster } from "./split-cluster.js";

// The gateway's POST /_sim/settle right after a POST /_sim/clock/advance through it: one process makes the advance
// and the sim bucket carries it to the others, each on its own time. The settle carries the bucket's clock, and
// answers only once every process applied it (its ticks run there), not before.

describePostgresNats("settling a split platform after a clock advance through its gateway", (backend) => {
  let cluster: SplitCluster;
  /** Advances that come from the sim bucket wait here until the test lets them run. */
  let letThrough!: () => void;
  const gate = new Promise<void>((resolve) => {
    letThrough = resolve;
  });
  /** A process's platform as it joins the cluster, its advances from the bucket held at the gate. */
  const held = (platform: Platform): ClusterMember => ({
    clock: platform.clock,
    faults: platform.faults,
    async advanceClock(milliseconds) {
      await gate;
      return platform.advanceClock(milliseconds);
    },
    markClockApplied: (time) => platform.markClockApplied(time),
  });

  beforeAll(async () => {
    cluster = await startSplitCluster(backend.busUrl, [["customer"], ["notification"]], held);
  }, 180_000);
  afterAll(async () => {
    letThrough?.();
    await cluster?.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${cluster.gateway.url}${path}`, { method: "POST", body: JSON.stringify(body) });

  it("answers only once every process applied the advance", async () => {
    const advanced = await post("/_sim/clock/advance", { by: "15m" });
    expect(advanced.status).toBe(200);
    const { now } = (await advanced.json()) as { now: string };

    // The process that made the advance has it; the other's is held, so the platform is not settled.
    const early = await post("/_sim/settle", { timeout: "2s" });
    expect(early.status).toBe(503);
    expect(((await early.json()) as { detail: string }).detail).toContain(`shared clock's advance to ${now}`);

    letThrough();
    const settled = await post("/_sim/settle", { timeout: "1m" });
    expect(settled.status).toBe(200);
    // Each clock runs on by itself too (no seed): at or past the advance.
    for (const platform of cluster.platforms)
      expect(platform.clock.now().getTime()).toBeGreaterThanOrEqual(Date.parse(now));
  });
});
