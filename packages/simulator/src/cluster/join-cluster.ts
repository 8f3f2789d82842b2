import type { FaultSwitches, Logger } from "@ecom/services/platform";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { VirtualClock } from "../virtual-clock.js";
import { openClusterSim } from "./cluster-clock.js";
import { type ContextLocks, lockContexts } from "./context-locks.js";
import { openRegistry, type Registration, type RegistryError, type RegistryView } from "./registry.js";

/** What joining a split platform needs of a running platform (a `Platform` has all of it). */
export interface ClusterMember {
  readonly clock: VirtualClock;
  readonly faults: FaultSwitches;
  /** Move the clock forward, running the contexts' ticks (expiry, retries) and settling, as `/_sim/clock` does. */
  advanceClock(milliseconds: number): Promise<Date>;
  /** The shared clock is applied up to `time`: a settle that carries it (the gateway's) stops waiting for it. */
  markClockApplied(time: Date): void;
}

/** Options of {@link claimContexts}. */
export interface ClaimContextsOptions {
  /** The NATS connection to use, or the URL of the server to connect to (`--bus`); a connection made here is closed on release. */
  readonly connection: NatsConnection | string;
  readonly namespace: string;
  /** The contexts this process serves. */
  readonly contexts: readonly string[];
  /** `--instance`: a restart with the same id takes over the claims its killed predecessor left. */
  readonly instance?: string;
  /** The registry bucket's TTL when this process creates it (a few seconds in tests that kill processes). */
  readonly ttlMs?: number;
  /**
   * The platform's PostgreSQL (`--store`): also hold each context's session advisory lock there while serving it
   * (context-locks.ts), a guard that does not depend on NATS KV.
   */
  readonly store?: string;
  readonly log: Logger;
  /**
   * Told (once) when this process may no longer serve its contexts: a claim taken over by another process, claims not
   * refreshed for longer than the TTL, or the PostgreSQL locks' session gone. The process must stop delivering at
   * once (`ecom serve` exits). Without it the loss is only logged.
   */
  readonly onLost?: (error: RegistryError) => void;
}

/** Options of {@link joinCluster}: the claim's and where the running process answers. */
export interface JoinClusterOptions extends ClaimContextsOptions {
  readonly member: ClusterMember;
  /** Where this process answers (its `listen` URL). */
  readonly url: string;
}

/** Contexts claimed for this process, before it serves them. */
export interface ContextClaims {
  readonly registration: Registration;
  /** Who serves which context: what this process's HTTP transport asks on each call. */
  readonly view: RegistryView;
  /** Once the process listens: announce its URL with its claims, and follow the shared virtual clock and faults. */
  join(options: { readonly member: ClusterMember; readonly url: string }): Promise<ClusterMembership>;
  /** Delete the claims and let go of the locks (stop delivering first: others may take the contexts at once). */
  release(): Promise<void>;
}

/** A process's membership of a split platform. */
export interface ClusterMembership {
  readonly registration: Registration;
  readonly view: RegistryView;
  /** Stop following the clock and faults (first, on a clean stop: an advance must not reach a closing platform). */
  stopFollowing(): Promise<void>;
  /** Leave: stop following, delete this process's claims and let go of its locks (after its deliveries stopped). */
  leave(): Promise<void>;
}

/**
 * Claim contexts for this process before anything of them is touched: in the registry (refused, naming the holder,
 * when another live process serves one) and, given `store`, by PostgreSQL session locks. `ecom serve` claims first
 * and only then makes the contexts' stores and JetStream consumers: starting a consumer makes its durable anew,
 * which would pull the deliveries from under a live process serving the context.
 */
export async function claimContexts(options: ClaimContextsOptions): Promise<ContextClaims> {
  if (typeof options.connection !== "string") return claim(options, options.connection, undefined);
  const owned = await connect({ servers: options.connection, name: `ecom ${options.contexts.join(",")}` });
  try {
    return await claim(options, owned, owned);
  } catch (error) {
    await owned.close();
    throw error;
  }
}

/**
 * Join a running process to its split platform: {@link claimContexts}, then {@link ContextClaims.join}. The
 * platform was made before the claim here: fine for processes that cannot collide (tests); `ecom serve` claims first.
 */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterMembership> {
  const claims = await claimContexts(options);
  try {
    return await claims.join(options);
  } catch (error) {
    await claims.release();
    throw error;
  }
}

async function claim(
  options: ClaimContextsOptions,
  connection: NatsConnection,
  owned: NatsConnection | undefined,
): Promise<ContextClaims> {
  const { log } = options;
  let lost = false;
  const onLost = (error: RegistryError) => {
    if (lost) return;
    lost = true;
    if (options.onLost) options.onLost(error);
    else log.error(error.message);
  };
  let locks: ContextLocks | undefined;
  let ttlMs = options.ttlMs ?? 0;
  const registry = await openRegistry({
    connection,
    namespace: options.namespace,
    ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
    onError: (error) => log.warn("refreshing the registry failed; retrying", { error: String(error) }),
    // The locks' session is asked at every refresh, to answer within the TTL the claims have: a half-open connection
    // would otherwise go unnoticed until TCP gives up, while another process takes the locks.
    onRefresh: () => void locks?.check(ttlMs),
  });
  ttlMs = registry.ttlMs;
  const view = await registry.watch();
  let registration: Registration | undefined;
  try {
    registration = await registry.register(
      { ...(options.instance === undefined ? {} : { id: options.instance }), contexts: options.contexts },
      (_context, error) => onLost(error),
    );
    if (options.store !== undefined)
      locks = await lockContexts({
        url: options.store,
        namespace: options.namespace,
        contexts: options.contexts,
        processId: registration.processId,
        onLost,
      });
  } catch (error) {
    await registration?.stop();
    await view.close();
    throw error;
  }
  const held = registration;
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      await held.stop();
      await locks?.release();
      await view.close();
      await owned?.close();
    })();
    return released;
  };
  return {
    registration: held,
    view,
    release,
    async join({ member, url }) {
      await held.announce(url);
      const following = await follow(member, connection, options.namespace, log);
      return {
        registration: held,
        view,
        stopFollowing: following.close,
        async leave() {
          await following.close();
          await release();
        },
      };
    },
  };
}

/**
 * Follow the shared virtual clock and faults: an advance written by the gateway runs this process's ticks through
 * `advanceClock`, so reservations expire and retries fall due in every process; once it ran (or this clock was past
 * it already: the process that made the advance), the time is marked applied, which the gateway's settle waits for.
 */
async function follow(
  member: ClusterMember,
  connection: NatsConnection,
  namespace: string,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  const sim = await openClusterSim({ connection, namespace });
  // Advances run one after another: each waits for the previous one's ticks.
  let advancing = Promise.resolve();
  const following = await sim.follow({
    clock: (time) => {
      advancing = advancing
        .then(async () => {
          const gap = time.getTime() - member.clock.now().getTime();
          if (gap > 0) await member.advanceClock(gap);
          member.markClockApplied(time);
        })
        .catch((error: unknown) => log.error("applying a clock advance failed", { error: String(error) }));
      // Not awaited: a fault switched meanwhile applies at once, not after this advance's ticks.
    },
    faults: (faults) => Object.assign(member.faults, faults),
  });
  let closed: Promise<void> | undefined;
  return {
    close: () => {
      closed ??= following.close().then(() => advancing);
      return closed;
    },
  };
}
