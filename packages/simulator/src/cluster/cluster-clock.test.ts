import { type FaultSwitches, noFaults } from "@ecom/services/platform";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createCondition } from "../../../../tests/backends/condition.js";
import { createTestNamespace, type TestNamespace } from "../../../../tests/backends/nats-namespace.js";
import { VirtualClock } from "../virtual-clock.js";
import { type ClusterSim, openClusterSim } from "./cluster-clock.js";

const start = new Date("2026-01-01T00:00:00.000Z");
const hours = (n: number) => new Date(start.getTime() + n * 3_600_000);

describePostgresNats("the clock and faults shared by a split platform", (backend) => {
  let connection: NatsConnection;
  let namespace: TestNamespace;
  let gateway: ClusterSim;

  beforeAll(async () => {
    connection = await connect({ servers: backend.busUrl, name: "cluster-clock-test" });
    namespace = createTestNamespace();
    gateway = await openClusterSim({ connection, namespace: namespace.name });
  });
  afterAll(async () => {
    await namespace?.drop();
    await connection?.close();
  });

  it("keeps its state in the namespace's sim bucket", () => {
    expect(gateway.bucket).toBe(`ecom_${namespace.name}_sim`);
  });

  it("moves every following process's clock forward, never back, and applies the faults", async () => {
    // Two processes, each with its own frozen (seeded) clock and fault switches.
    const processes = await Promise.all(
      [0, 1].map(async () => {
        const clock = new VirtualClock({ start, frozen: true });
        const faults: FaultSwitches = noFaults();
        const applied = createCondition();
        const sim = await openClusterSim({ connection, namespace: namespace.name });
        const following = await sim.follow({
          clock: (time) => {
            clock.resumeFrom(time);
            applied.changed();
          },
          faults: (f) => {
            Object.assign(faults, f);
            applied.changed();
          },
        });
        return { clock, faults, until: applied.until, following };
      }),
    );
    expect(await gateway.advanceTo(hours(2))).toEqual(hours(2));
    for (const { clock, until } of processes) await until(() => clock.now().getTime() === hours(2).getTime());
    // An earlier time changes nothing: the clock only moves forward.
    expect(await gateway.advanceTo(hours(1))).toEqual(hours(2));
    await gateway.setFaults({ ...noFaults(), inventoryDown: true });
    for (const { faults, until } of processes) await until(() => faults.inventoryDown);
    for (const { clock } of processes) expect(clock.now()).toEqual(hours(2));
    await gateway.setFaults(noFaults());
    for (const { faults, until } of processes) await until(() => !faults.inventoryDown);
    for (const { following } of processes) await following.close();
  });

  it("gives a process that starts late the time and faults written before it", async () => {
    await gateway.advanceTo(hours(5));
    await gateway.setFaults({ ...noFaults(), paymentProcessorDown: true });
    expect(await gateway.current()).toEqual({ time: hours(5), faults: { ...noFaults(), paymentProcessorDown: true } });
    const clock = new VirtualClock({ start, frozen: true });
    const faults = noFaults();
    const applied = createCondition();
    const following = await gateway.follow({
      clock: (time) => {
        clock.resumeFrom(time);
        applied.changed();
      },
      faults: (f) => {
        Object.assign(faults, f);
        applied.changed();
      },
    });
    await applied.until(() => clock.now().getTime() === hours(5).getTime() && faults.paymentProcessorDown);
    await following.close();
    await gateway.setFaults(noFaults());
  });

  it("keeps the latest of two racing advances", async () => {
    const other = await openClusterSim({ connection, namespace: namespace.name });
    await Promise.all([gateway.advanceTo(hours(9)), other.advanceTo(hours(8)), gateway.advanceTo(hours(7))]);
    expect((await other.current()).time).toEqual(hours(9));
  });
});
