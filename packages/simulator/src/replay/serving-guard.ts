import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import pg from "pg";
import { contextLockKey } from "../cluster/context-locks.js";
import { openRegistry, registryBucket } from "../cluster/registry.js";
import { ReplayError } from "./projection-rebuild.js";

/** The contexts a replay holds: no process may start serving them until {@link ServingGuard.release}. */
export interface ServingGuard {
  release(): Promise<void>;
}

/**
 * Make sure no process serves `contexts` while they are replayed, and none starts to: take each context's serving
 * lock in PostgreSQL (held by one session of this process until released: an `ecom serve` of them is refused
 * meanwhile), then look for a live claim of them in the registry (NATS KV `ecom_<ns>_registry`, when there is one).
 * Refused with a ReplayError naming the context and who serves it.
 */
export async function guardAgainstServing(options: {
  readonly storeUrl: string;
  readonly namespace: string;
  readonly contexts: readonly string[];
  readonly connection: NatsConnection;
  readonly manager: JetStreamManager;
}): Promise<ServingGuard> {
  const session = new pg.Client({ connectionString: options.storeUrl, application_name: `ecom replay ${process.pid}` });
  // A session the server ends fails the query under way; without a listener it would also throw out of the process.
  session.on("error", () => undefined);
  await session.connect();
  const release = () => session.end().catch(() => undefined);
  try {
    for (const context of options.contexts) {
      const { rows } = await session.query<{ locked: boolean }>(
        "select pg_try_advisory_lock(hashtextextended($1, 0)) as locked",
        [contextLockKey(options.namespace, context)],
      );
      if (!rows[0]?.locked)
        throw new ReplayError(
          `${context} is being served (a process holds its lock in PostgreSQL): stop the platform before replaying its read models`,
        );
    }
    await refuseClaimed(options);
  } catch (error) {
    await release();
    throw error;
  }
  return { release };
}

/** Refuse when the registry holds a live claim of one of `contexts` (a serve process that took no lock, say). */
async function refuseClaimed(options: {
  readonly namespace: string;
  readonly contexts: readonly string[];
  readonly connection: NatsConnection;
  readonly manager: JetStreamManager;
}): Promise<void> {
  const bucket = registryBucket(options.namespace);
  // Opening the registry makes its bucket; a platform that never split over processes has none to look in.
  const exists = await options.manager.streams.info(`KV_${bucket}`).then(
    () => true,
    () => false,
  );
  if (!exists) return;
  const view = await (await openRegistry({ connection: options.connection, namespace: options.namespace })).watch();
  try {
    for (const context of options.contexts) {
      const claim = view.claimOf(context);
      if (claim)
        throw new ReplayError(
          `${context} is served by process ${claim.processId}${claim.url ? ` at ${claim.url}` : ", which is starting"} (since ${claim.startedAt}): stop it before replaying its read models`,
        );
    }
  } finally {
    await view.close();
  }
}
