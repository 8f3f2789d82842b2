import type { RpcClients } from "@ecom/sdk/rpc";
import type { AnyContextModule, FaultSwitches, FeedHandler, Logger } from "@ecom/services/platform";
import type { EventBus, EventLogReader } from "./bus/event-bus.js";
import type { ServerLimits } from "./connection-limits.js";
import type { GatewayRequest, GatewayResponse } from "./gateway/rest-gateway.js";
import type { DevAccountLogin } from "./platform-console.js";
import type { HealthReport } from "./platform-health.js";
import type { RequestLogEntry } from "./request-log.js";
import type { TracingOptions } from "./tracing/platform-tracing.js";
import type { VirtualClock } from "./virtual-clock.js";

/** How to run the platform. */
export interface PlatformOptions {
  /** The contexts to run. */
  readonly contexts: readonly AnyContextModule[];
  /** The data folder (default `.ecom`); state survives restarts there. Ignored with `memory`. */
  readonly dataDir?: string;
  /** Keep everything in memory: a throwaway run. */
  readonly memory?: boolean;
  /** Fix ids, the clock's start and random choices, so a run can be reproduced. */
  readonly seed?: number;
  /** Check every REST response against its contract (a mismatch is a 500); on by default. */
  readonly validateResponses?: boolean;
  readonly log?: Logger;
  /**
   * Crash testing: kill the process with SIGKILL as soon as an event of one of these types is in the log, as a
   * power cut would, to show that a restart on the same data folder resumes every flow to a consistent end.
   */
  readonly crashAfter?: readonly string[];
  /** The development accounts whose tokens the console at `/` uses, when the port listens on loopback only. */
  readonly devAccounts?: Readonly<Record<"admin" | "customer", DevAccountLogin>>;
  /** Told of every request the port served, once its response is done (the CLI's request log). */
  readonly onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Timeouts and limits of the port (see {@link ServerLimits}; README "Security model" lists the defaults). Tests
   * pass short ones to watch the mechanism work.
   */
  readonly limits?: Partial<ServerLimits>;
  /**
   * OpenTelemetry traces (tracing/platform-tracing.ts): exporters for a test, spans kept for the console. Without
   * them, tracing is on only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
   */
  readonly tracing?: TracingOptions;
  /**
   * In memory only: a folder where the seeded state of every store is kept (seed-snapshot.ts), so a start with the
   * same seed, contexts and code starts from it instead of seeding again. Not used with `crashAfter`, nor when a
   * context is not one of `allContexts` (see platform-seed.ts).
   */
  readonly seedSnapshots?: string;
  /**
   * Run on PostgreSQL and NATS JetStream instead of SQLite files and the in-process log (docs/design/scale-out.md):
   * each context's store in its own schema of `storeUrl`'s database, logged in as its own role, and the log the
   * JetStream stream of `namespace` (the database's name when absent). No data folder and no seed snapshot: an empty
   * database is migrated and seeded at the first start.
   */
  readonly backends?: PlatformBackends;
  /**
   * Split mode (`ecom serve --contexts …`, docs/design/scale-out.md section 8): `contexts` are this process's share of
   * the platform. A call to any other context goes over HTTP to the process `registry` names (cluster/registry.ts),
   * with a service token; the port accepts the other processes' service tokens. Needs `backends`, whose store keeps
   * the service-token key.
   */
  readonly split?: { readonly registry: { urlOf(context: string): string | undefined } };
}

/** Where a platform on PostgreSQL and NATS JetStream keeps its state. */
export interface PlatformBackends {
  /** `postgres://user@host:port/database`, as a user that may create roles and schemas there. */
  readonly storeUrl: string;
  /** `nats://host:port`, a server with JetStream on. */
  readonly busUrl: string;
  /** Names the roles, the stream and its consumers; the database's name when absent. */
  readonly namespace?: string;
}

/** The running platform: every context in one process, reachable in-process or over one HTTP port. */
export interface Platform {
  readonly clock: VirtualClock;
  /** The event log as its readers see it (the bus's). */
  readonly eventLog: EventLogReader;
  /** The event bus: the log, publishing to it (idempotent by eventId) and delivery to subscribers. */
  readonly bus: EventBus;
  readonly faults: FaultSwitches;
  /** The data folder, or undefined in memory. */
  readonly dataDir: string | undefined;
  /** Typed Connect clients of every context over the in-process transport. */
  readonly rpc: RpcClients;
  /**
   * The contexts' handlers of messages from outside the bus, by contract channel address (`iot/inventory/{sku}/delta`):
   * what a transport adapter (the MQTT feed) hands its messages to.
   */
  readonly feeds: Readonly<Record<string, FeedHandler>>;
  /** Serve one request in-process (no socket). */
  handle(request: GatewayRequest): Promise<GatewayResponse>;
  /** A fetch that serves requests in-process, for the SDK: `createClient({ baseUrl, fetch: platform.fetch })`. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Listen on `port` (0 for any free one) of `host` (default 127.0.0.1); resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Move the virtual clock forward, let every context expire what is due, and wait for the events to be delivered. */
  advanceClock(milliseconds: number): Promise<Date>;
  /**
   * The shared clock of a split platform is applied here up to `time` (its advance ran, its ticks included, or this
   * clock was past it): what `POST /_sim/settle` carrying that clock waits for. Joining the cluster calls it.
   */
  markClockApplied(time: Date): void;
  /** What `/healthz` answers: each context's state, the clock, faults, breakers, lag and dead letters. */
  health(): Promise<HealthReport>;
  /**
   * Resolve when every outbox is relayed, every subscriber has caught up with the log and no context has background
   * work under way (a saga run, an e-mail or webhook attempt that fell due; a partner that does not answer holds it
   * until the attempt times out).
   */
  settle(): Promise<void>;
  /** Export every span that has ended (to the OTLP endpoint or the exporters given); nothing when untraced. */
  flushTraces(): Promise<void>;
  /** Stop serving, finish in-flight delivery, checkpoint and close every store. */
  close(): Promise<void>;
  /**
   * Stop at once what serves and delivers, for a process that lost the right to serve its contexts and exits next:
   * the port stops accepting, the timers, relays and subscriptions stop. Nothing is settled, saved or closed.
   */
  halt(): Promise<void>;
}

/** The default start of a seeded (frozen) clock, so seeded runs agree on every timestamp. */
export const SEEDED_EPOCH = new Date("2026-01-01T00:00:00.000Z");

/** The platform's log when none is given: lines on stderr. */
export const consoleLogger: Logger = {
  info: (message, fields) => process.stderr.write(`${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`),
  warn: (message, fields) => process.stderr.write(`warn: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`),
  error: (message, fields) => process.stderr.write(`error: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`),
};
