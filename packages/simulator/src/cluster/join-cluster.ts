import type { FaultSwitches, Logger } from "@ecom/services/platform";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { VirtualClock } from "../virtual-clock.js";
import { openClusterSim } from "./cluster-clock.js";
import { openRegistry, type Registration, type RegistryView } from "./registry.js";

/** What joining a split platform needs of a running platform (a `Platform` has all of it). */
export interface ClusterMember {
  readonly clock: VirtualClock;
  readonly faults: FaultSwitches;
  /** Move the clock forward, running the contexts' ticks (expiry, retries) and settling, as `/_sim/clock` does. */
  advanceClock(milliseconds: number): Promise<Date>;
}

/** Options of {@link joinCluster}. */
export interface JoinClusterOptions {
  readonly member: ClusterMember;
  /** The NATS connection to use, or the URL of the server to connect to (`--bus`); a connection made here is closed on leave. */
  readonly connection: NatsConnection | string;
  readonly namespace: string;
  /** The contexts this process serves. */
  readonly contexts: readonly string[];
  /** Where this process answers (its `listen` URL). */
  readonly url: string;
  /** `--instance`: a restart with the same id takes over the claims its killed predecessor left. */
  readonly instance?: string;
  /** The registry bucket's TTL when this process creates it (a few seconds in tests that kill processes). */
  readonly ttlMs?: number;
  readonly log: Logger;
}

/** A process's membership of a split platform. */
export interface ClusterMembership {
  readonly registration: Registration;
  /** Who serves which context: what this process's HTTP transport asks on each call. */
  readonly view: RegistryView;
  /** Leave: stop following the clock and faults and delete this process's claims (a clean stop). */
  leave(): Promise<void>;
}

/**
 * Join a running process to its split platform: claim its contexts in the registry (refused, naming the holder, when
 * another live process serves one), watch who serves the others, and follow the shared virtual clock and faults —
 * an advance written by the gateway runs this process's ticks through `advanceClock`, so reservations expire and
 * retries fall due in every process.
 */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterMembership> {
  if (typeof options.connection !== "string") return join(options, options.connection, undefined);
  const owned = await connect({ servers: options.connection, name: `ecom ${options.contexts.join(",")}` });
  try {
    return await join(options, owned, owned);
  } catch (error) {
    await owned.close();
    throw error;
  }
}

async function join(
  options: JoinClusterOptions,
  connection: NatsConnection,
  owned: NatsConnection | undefined,
): Promise<ClusterMembership> {
  const { member, log } = options;
  const registry = await openRegistry({
    connection,
    namespace: options.namespace,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    onError: (error) => log.warn("refreshing the registry failed; retrying", { error: String(error) }),
  });
  const view = await registry.watch();
  const sim = await openClusterSim({ connection, namespace: options.namespace });
  let registration: Registration | undefined;
  let following: { close(): Promise<void> } | undefined;
  try {
    registration = await registry.register(
      {
        ...(options.instance === undefined ? {} : { id: options.instance }),
        url: options.url,
        contexts: options.contexts,
      },
      (context, error) => log.error(`lost the claim of ${context}`, { error: error.message }),
    );
    // Advances run one after another: each waits for the previous one's ticks.
    let advancing = Promise.resolve();
    following = await sim.follow({
      clock: (time) => {
        advancing = advancing
          .then(async () => {
            const gap = time.getTime() - member.clock.now().getTime();
            if (gap > 0) await member.advanceClock(gap);
          })
          .catch((error: unknown) => log.error("applying a clock advance failed", { error: String(error) }));
        // Not awaited: a fault switched meanwhile applies at once, not after this advance's ticks.
      },
      faults: (faults) => Object.assign(member.faults, faults),
    });
  } catch (error) {
    await registration?.stop();
    await view.close();
    throw error;
  }
  const joined = registration;
  const follower = following;
  return {
    registration: joined,
    view,
    async leave() {
      await follower.close();
      await joined.stop();
      await view.close();
      await owned?.close();
    },
  };
}
