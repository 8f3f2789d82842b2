import type { FaultSwitches } from "@ecom/services/platform";
import { type KV, type KvEntry, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

const CLOCK = "clock";
const FAULTS = "faults";

/** The simulation's shared state in split mode: the virtual clock's time and the injected faults. */
export interface ClusterSim {
  readonly bucket: string;
  /**
   * Make the platform's time at least `time` (what `/_sim/clock/advance` does on the gateway). The time only moves
   * forward: an earlier one changes nothing, also when two writers race. Resolves with the time now recorded.
   */
  advanceTo(time: Date): Promise<Date>;
  /** Switch the injected faults (what `/_sim/faults` does on the gateway); every process applies them. */
  setFaults(faults: FaultSwitches): Promise<void>;
  /** The recorded time and faults, if any were ever written. */
  current(): Promise<{ readonly time?: Date; readonly faults?: FaultSwitches }>;
  /**
   * Apply the recorded time and faults now, then every change as it is written: a process's VirtualClock
   * `resumeFrom(time)` and its fault switches. Stop with `close()`.
   */
  follow(apply: {
    readonly clock: (time: Date) => void | Promise<void>;
    readonly faults: (faults: FaultSwitches) => void;
  }): Promise<{ close(): Promise<void> }>;
}

/** The simulation bucket of `namespace`: `ecom_<ns>_sim` (scale-out.md section 8). */
export function simBucket(namespace: string): string {
  if (!/^[a-z0-9_]+$/.test(namespace)) throw new Error(`The namespace "${namespace}" may hold only a-z, 0-9 and _.`);
  return `ecom_${namespace}_sim`;
}

/**
 * The clock and faults of a platform split over processes, in the NATS KV bucket `ecom_<ns>_sim` (history 1, no
 * TTL): the gateway writes them, every process follows them. In one process the VirtualClock and the fault switches
 * are plain objects; across processes each keeps its own and this keeps them in step.
 */
export async function openClusterSim(options: {
  readonly connection: NatsConnection;
  readonly namespace: string;
}): Promise<ClusterSim> {
  const bucket = simBucket(options.namespace);
  const kv = await new Kvm(options.connection).create(bucket, { history: 1 });
  const read = async () => {
    const [clock, faults] = await Promise.all([kv.get(CLOCK), kv.get(FAULTS)]);
    return {
      clock: clock?.operation === "PUT" ? clock : undefined,
      faults: faults?.operation === "PUT" ? faults : undefined,
    };
  };
  return {
    bucket,
    advanceTo: (time) => advanceTo(kv, time),
    async setFaults(faults) {
      await kv.put(FAULTS, JSON.stringify(faults));
    },
    async current() {
      const { clock, faults } = await read();
      return {
        ...(clock ? { time: timeOf(clock) } : {}),
        ...(faults ? { faults: faults.json<FaultSwitches>() } : {}),
      };
    },
    async follow(apply) {
      // The watcher delivers the last value of each key first, then every write, in order.
      const watcher = await kv.watch();
      const following = (async () => {
        for await (const entry of watcher) {
          if (entry.operation !== "PUT") continue;
          if (entry.key === CLOCK) await apply.clock(timeOf(entry));
          else if (entry.key === FAULTS) apply.faults(entry.json<FaultSwitches>());
        }
      })();
      return {
        async close() {
          watcher.stop();
          await following.catch(() => undefined);
        },
      };
    },
  };
}

async function advanceTo(kv: KV, time: Date): Promise<Date> {
  for (;;) {
    const entry = await kv.get(CLOCK);
    const recorded = entry?.operation === "PUT" ? timeOf(entry) : undefined;
    if (recorded && recorded.getTime() >= time.getTime()) return recorded;
    const value = JSON.stringify({ time: time.toISOString() });
    try {
      // Conditional on what was read, so a racing writer with a later time is never overwritten by an earlier one.
      if (entry) await kv.update(CLOCK, value, entry.revision);
      else await kv.create(CLOCK, value);
      return time;
    } catch (error) {
      // 10071, "wrong last sequence": another writer got in between; read again.
      if ((error as { code?: unknown }).code !== 10071) throw error;
    }
  }
}

function timeOf(entry: KvEntry): Date {
  return new Date(entry.json<{ time: string }>().time);
}
