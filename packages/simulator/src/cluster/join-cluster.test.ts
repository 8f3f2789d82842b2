import { noFaults } from "@ecom/services/platform";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createCondition } from "../../../../tests/backends/condition.js";
import { createTestNamespace, type TestNamespace } from "../../../../tests/backends/nats-namespace.js";
import { VirtualClock } from "../virtual-clock.js";
import { openClusterSim } from "./cluster-clock.js";
import { type ClusterMember, claimContexts, joinCluster } from "./join-cluster.js";
import { isRegistryError, openRegistry } from "./registry.js";

const start = new Date("2026-01-01T00:00:00.000Z");
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A platform as joining sees it: a frozen clock, fault switches, and advances recorded as its ticks; `until` waits
 * for a state of them, asked again as each advance or fault switch is applied.
 */
function member(at = start): ClusterMember & {
  readonly advances: number[];
  readonly applied: string[];
  until(check: () => boolean): Promise<void>;
} {
  const clock = new VirtualClock({ start: at, frozen: true });
  const advances: number[] = [];
  // The times marked applied, each as "<time> at <the clock then>": marked once its advance ran, not before.
  const applied: string[] = [];
  const changed = createCondition();
  // Switched by joining with Object.assign: each switch set is a change to look at.
  const faults = new Proxy(noFaults(), {
    set(target, key, value) {
      const set = Reflect.set(target, key, value);
      changed.changed();
      return set;
    },
  });
  return {
    clock,
    faults,
    advances,
    applied,
    until: changed.until,
    async advanceClock(milliseconds) {
      advances.push(milliseconds);
      const now = await clock.advance(milliseconds);
      changed.changed();
      return now;
    },
    markClockApplied(time) {
      applied.push(`${time.toISOString()} at ${clock.now().toISOString()}`);
      changed.changed();
    },
  };
}

describePostgresNats("a process joining its split platform", (backend) => {
  let connection: NatsConnection;
  let namespace: TestNamespace;

  beforeAll(async () => {
    connection = await connect({ servers: backend.busUrl, name: "join-cluster-test" });
    namespace = createTestNamespace();
  });
  afterAll(async () => {
    await namespace?.drop();
    await connection?.close();
  });

  it("claims its contexts, sees the others', follows the gateway's clock and faults, and leaves cleanly", async () => {
    const join = (process: ClusterMember, contexts: string[], url: string) =>
      joinCluster({ member: process, connection, namespace: namespace.name, contexts, url, log: silent });
    const orderAndPayment = member();
    const inventory = member();
    const a = await join(orderAndPayment, ["order", "payment"], "http://127.0.0.1:5101");
    // This one connects by itself, from the URL `--bus` gives, and closes its connection when it leaves.
    const b = await joinCluster({
      member: inventory,
      connection: backend.busUrl,
      namespace: namespace.name,
      contexts: ["inventory"],
      url: "http://127.0.0.1:5102",
      log: silent,
    });
    await a.view.until(() => a.view.urlOf("inventory") === "http://127.0.0.1:5102");
    expect(b.view.urlOf("order")).toBe("http://127.0.0.1:5101");

    const refused = await join(member(), ["payment"], "http://127.0.0.1:5103").catch((error: unknown) => error);
    expect(isRegistryError(refused) && refused.message).toMatch(/payment is already served by process/);

    const gateway = await openClusterSim({ connection, namespace: namespace.name });
    await gateway.advanceTo(new Date(start.getTime() + 60_000));
    await gateway.setFaults({ ...noFaults(), inventoryDown: true });
    for (const process of [orderAndPayment, inventory]) {
      await process.until(() => process.applied.length === 1);
      await process.until(() => process.faults.inventoryDown);
      expect(process.advances).toEqual([60_000]);
      // Marked applied once the advance had run (what the gateway's settle waits for).
      expect(process.applied).toEqual(["2026-01-01T00:01:00.000Z at 2026-01-01T00:01:00.000Z"]);
    }
    // A process whose clock is past the shared one (the one that made the advance) marks it without advancing.
    const ahead = member(new Date(start.getTime() + 120_000));
    const c = await join(ahead, ["review"], "http://127.0.0.1:5104");
    await ahead.until(() => ahead.applied.length === 1);
    expect(ahead.advances).toEqual([]);
    expect(ahead.applied).toEqual(["2026-01-01T00:01:00.000Z at 2026-01-01T00:02:00.000Z"]);
    await c.leave();

    await a.leave();
    await b.leave();
    const registry = await openRegistry({ connection, namespace: namespace.name });
    expect(await registry.processes()).toEqual([]);
    const view = await registry.watch();
    expect(view.claims()).toEqual([]);
    await view.close();
  });

  it("claims before anything is served, and a PostgreSQL lock refuses a second claimant the registry let through", async () => {
    const claim = (instance: string) =>
      claimContexts({
        connection,
        namespace: namespace.name,
        contexts: ["cart", "promotion"],
        instance,
        store: backend.storeUrl,
        log: silent,
      });
    const first = await claim("first");
    // Claimed and not listening yet: nobody is sent to it.
    expect(first.view.claimOf("cart")?.processId).toBe("first");
    expect(first.view.urlOf("cart")).toBeUndefined();
    const byRegistry = await claim("second").catch((error: unknown) => error);
    expect(isRegistryError(byRegistry) && byRegistry.message).toMatch(
      /cart is already served by process first \(starting/,
    );

    // The first's registry claims vanish (as when it stalled past the TTL): its PostgreSQL locks still stop a second.
    const kv = await new Kvm(connection).open(`ecom_${namespace.name}_registry`);
    for (const context of ["cart", "promotion"]) await kv.delete(`contexts.${context}`);
    const byLock = await claim("second").catch((error: unknown) => error);
    expect(isRegistryError(byLock) && byLock.message).toMatch(
      /^cart is locked in PostgreSQL by session \d+ \(ecom serve first/,
    );
    // The refused one let go of the registry claims it had made on its way.
    const registry = await openRegistry({ connection, namespace: namespace.name });
    const view = await registry.watch();
    expect(view.claims()).toEqual([]);
    await view.close();

    const membership = await first.join({ member: member(), url: "http://127.0.0.1:5201" });
    await membership.view.until(() => membership.view.urlOf("cart") === "http://127.0.0.1:5201");
    await membership.leave();
  });
});
