import type { Gateway, GatewayOptions } from "./gateway-server.js";
import type { ClaimContextsOptions, ClusterMembership, ContextClaims, JoinClusterOptions } from "./join-cluster.js";

/**
 * Claim contexts for this process before serving them (join-cluster.ts), loading the NATS and PostgreSQL clients
 * only now.
 */
export async function claimContexts(options: ClaimContextsOptions): Promise<ContextClaims> {
  return (await import("./join-cluster.js")).claimContexts(options);
}

/**
 * Join a running process to its split platform (join-cluster.ts), loading the NATS client only now: an embedded
 * start never pays for it.
 */
export async function joinCluster(options: JoinClusterOptions): Promise<ClusterMembership> {
  return (await import("./join-cluster.js")).joinCluster(options);
}

/** Start `ecom gateway`'s server (gateway-server.ts), loading the NATS client only now. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  return (await import("./gateway-server.js")).startGateway(options);
}
