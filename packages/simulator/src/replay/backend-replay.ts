import type { BackendReplayOptions } from "./postgres-replay.js";
import type { ReplayReport } from "./projection-rebuild.js";

export type { BackendReplayOptions } from "./postgres-replay.js";

/**
 * Rebuild (or check) the read models of a stopped platform on PostgreSQL and NATS JetStream (postgres-replay.ts),
 * loading their clients only now: a replay of a data folder never pays for them.
 */
export async function replayBackendReadModels(options: BackendReplayOptions): Promise<ReplayReport> {
  const replay = await import("./postgres-replay.js");
  return replay.replayBackendReadModels(options);
}
