/** @ecom/simulator: every ecom context in one process on SQLite, with one HTTP port for REST, Connect and events. */

export {
  type CanonicalExport,
  type CanonicalRow,
  canonicalExport,
  type TableReader,
} from "./canonical-export/canonical-export.js";
export { CANONICAL_TABLES, type CanonicalTable } from "./canonical-export/canonical-tables.js";
export { exportPlatformState, type PlatformState } from "./canonical-export/export-platform-state.js";
export type { ClusterHealthReport, ProcessHealth } from "./cluster/cluster-health.js";
export type { Gateway, GatewayOptions } from "./cluster/gateway-server.js";
export type {
  ClaimContextsOptions,
  ClusterMember,
  ClusterMembership,
  ContextClaims,
  JoinClusterOptions,
} from "./cluster/join-cluster.js";
export type { ContextClaim, ProcessEntry, Registration, RegistryError, RegistryView } from "./cluster/registry.js";
export { claimContexts, joinCluster, startGateway } from "./cluster/start-cluster.js";
export {
  DataFolderError,
  type DataFolderHolder,
  type DataFolderLock,
  describeHolder,
  expectedStores,
  isDataFolderError,
  lockDataFolder,
  type RepairPlan,
  type RepairStep,
  type ResetOutcome,
  readDataFolderLock,
  repairDataFolder,
  resetDataFolder,
} from "./data-folder/index.js";
export { type EmbeddedBroker, startEmbeddedBroker } from "./device-feed/embedded-broker.js";
export { type FeedBatch, type MqttFeed, type MqttFeedOptions, startMqttFeed } from "./device-feed/mqtt-feed.js";
export { EventLog, type LoggedEvent } from "./event-log.js";
export type { GatewayRequest, GatewayResponse } from "./gateway/rest-gateway.js";
export { ContractViolationError } from "./outbox.js";
export { createPlatform, type Platform, type PlatformOptions, SEEDED_EPOCH } from "./platform.js";
export type { DevAccountLogin } from "./platform-console.js";
export type { BreakerReport, ContextReport, HealthReport } from "./platform-health.js";
export { type BackendReplayOptions, replayBackendReadModels } from "./replay/backend-replay.js";
export {
  type ContextReplay,
  ReplayError,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayReport,
  replayReadModels,
} from "./replay/read-model-replay.js";
export type { TableDifference } from "./replay/table-diff.js";
export type { RequestLogEntry } from "./request-log.js";
export { openSeedSnapshots, type SeedSnapshot, type SeedSnapshots, seedSnapshotKey } from "./seed-snapshot.js";
export { isLoopbackHost } from "./sim-access.js";
export { parseDuration } from "./sim-duration.js";
export { type SqlTrace, type SqlTraceEntry, sqlTrace } from "./sql-trace.js";
export { openPostgresStores, readServiceTokenKey } from "./store/open-postgres-stores.js";
export type { OpenPostgresStoresOptions, PostgresStores, StoreSecrets } from "./store/postgres-store.js";
export { storeNamespace } from "./store/store-namespace.js";
export type { EmbeddedStore, PostgresStore, Store, StoreDialectName } from "./store/store-port.js";
export type { TracingOptions } from "./tracing/platform-tracing.js";
export type { KeptSpan } from "./tracing/trace-buffer.js";
export { VirtualClock } from "./virtual-clock.js";
