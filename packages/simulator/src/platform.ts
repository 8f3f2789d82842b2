import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname, join } from "node:path";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createRpcClients, type RpcClients, rpcAccess } from "@ecom/sdk/rpc";
import { allContexts } from "@ecom/services";
import {
  type AnyContextModule,
  type ContextParts,
  type ContextRuntime,
  composeSubscriber,
  type FaultSwitches,
  type FeedHandler,
  type Logger,
  noFaults,
  ServiceError,
  serviceErrorsAsConnect,
  toConnectError,
} from "@ecom/services/platform";
import type { Kysely } from "kysely";
import { accessDenied, callerOf, createAccessInterceptor, serviceIdentityInterceptor } from "./access-policy.js";
import { createEmbeddedBus } from "./bus/embedded-bus.js";
import type { BusStore, EventBus, EventLogReader, Relay, Subscription } from "./bus/event-bus.js";
import type { JetStreamBus } from "./bus/jetstream-bus.js";
import { createHttpTransport, createSplitTransport } from "./cluster/http-transport.js";
import { createServiceTokens } from "./cluster/service-token.js";
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from "./connection-limits.js";
import { DataFolderError } from "./data-folder/data-folder-error.js";
import { expectedStores, type OpenedDataFolder, openDataFolder } from "./data-folder/open-data-folder.js";
import { EventLog } from "./event-log.js";
import { createEventSockets, upgradeRequiredResponse } from "./event-sockets.js";
import { initialStreamBody, serveEventStream } from "./event-streams.js";
import { IdempotencyStore, type IdempotencyTables } from "./gateway/idempotency-store.js";
import {
  MAX_BODY_BYTES,
  readFetchRequest,
  readNodeRequest,
  toFetchResponse,
  writeNodeResponse,
} from "./gateway/node-adapter.js";
import { pathProblem } from "./gateway/request-checks.js";
import {
  createRestGateway,
  type GatewayRequest,
  type GatewayResponse,
  problemResponse,
  type RestHandlerTable,
} from "./gateway/rest-gateway.js";
import { RestRouter } from "./gateway/rest-router.js";
import { createInProcessTransport } from "./in-process-transport.js";
import { createLazyGraphqlEndpoint, GRAPHQL_PATH } from "./lazy-graphql-endpoint.js";
import { createPlatformMetrics } from "./metrics/platform-metrics.js";
import { createOnePortServer, type OnePortServer } from "./one-port-server.js";
import { createOutbox } from "./outbox.js";
import { createPlatformConsole, type DevAccountLogin } from "./platform-console.js";
import { createHealthReporter, type HealthReport } from "./platform-health.js";
import { writeProblem } from "./problem.js";
import { type RequestLogEntry, withRequestLog } from "./request-log.js";
import { createRpcTrace } from "./rpc-trace.js";
import { openSeedSnapshots, type SeedSnapshot, seedSnapshotKey } from "./seed-snapshot.js";
import { createCountedRandom } from "./seeded-random.js";
import { createSimGuard } from "./sim-access.js";
import { createSimRoutes } from "./sim-routes.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations } from "./sqlite-store.js";
import { afterCommit } from "./store/hooked-kysely.js";
import { openPostgresStores } from "./store/open-postgres-stores.js";
import type { PostgresStores } from "./store/postgres-store.js";
import { type EmbeddedStore, embeddedStore, isEmbeddedStore, type Store } from "./store/store-port.js";
import { createStreamGate } from "./stream-gate.js";
import { createStreamSlots, tooManyStreams } from "./stream-pump.js";
import { createTokenService } from "./token-service.js";
import { createPlatformTracing, type TracingOptions } from "./tracing/platform-tracing.js";
import { createTraceRoutes } from "./tracing/trace-routes.js";
import { createUlidIds } from "./ulid-ids.js";
import { VirtualClock } from "./virtual-clock.js";
import { createWalCheckpointer } from "./wal-checkpointer.js";

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
   * context is not one of `allContexts` (see {@link SNAPSHOT_CONTEXTS}).
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
}

/**
 * The contexts a seed snapshot may stand for: `allContexts`' own modules. A snapshot's key names its contexts, and
 * only these are wholly said by their name; a context built with other options (`createPaymentContext({ soap:
 * false })`) or a `defineContext` of the same name seeds at every start rather than take another's snapshot.
 */
const SNAPSHOT_CONTEXTS: ReadonlySet<AnyContextModule> = new Set(allContexts);

/** The default start of a seeded (frozen) clock, so seeded runs agree on every timestamp. */
export const SEEDED_EPOCH = new Date("2026-01-01T00:00:00.000Z");

const consoleLogger: Logger = {
  info: (message, fields) => process.stderr.write(`${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`),
  warn: (message, fields) => process.stderr.write(`warn: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`),
  error: (message, fields) => process.stderr.write(`error: ${message}${fields ? ` ${JSON.stringify(fields)}` : ""}\n`),
};

// A type, not an interface: Kysely's withTables takes only types with an index signature, which an interface lacks.
type MetaTables = {
  meta: { key: string; value: string };
};

interface RunningContext {
  readonly module: AnyContextModule;
  readonly store: Store<RuntimeTables>;
  readonly parts: ContextParts<unknown>;
  readonly relay: Relay;
  subscription?: Subscription;
}

/**
 * Start the platform: open (and migrate) each context's own store and the event log, wire outboxes to the relay,
 * the log to each subscriber's dispatcher, the contexts' Connect services to one in-process transport and the
 * contexts' REST handlers to the gateway; then seed empty stores and let each context resume unfinished work.
 */
export async function createPlatform(options: PlatformOptions): Promise<Platform> {
  if (options.split && !options.backends)
    throw new Error("split mode needs backends: the processes share PostgreSQL (and its service-token key) and NATS");
  // The folder is checked and locked before anything is written to it; a damaged one stops the start here.
  const folder =
    options.memory || options.backends
      ? undefined
      : openDataFolder({ dir: options.dataDir ?? ".ecom", stores: expectedStores(options.contexts) });
  let external: ExternalBackends | undefined;
  try {
    external = options.backends ? await openBackends(options.backends, options) : undefined;
    return await startPlatform(options, folder, external);
  } catch (error) {
    folder?.release();
    await external?.close();
    throw error;
  }
}

/** The stores and the bus of a platform on PostgreSQL and NATS JetStream. */
interface ExternalBackends {
  readonly stores: PostgresStores;
  readonly bus: JetStreamBus;
  close(): Promise<void>;
}

/**
 * Open (bootstrap, migrate) the stores on PostgreSQL, then the bus on JetStream in the same namespace; their clients
 * are loaded only now, so an embedded start never pays for them.
 */
async function openBackends(backends: PlatformBackends, options: PlatformOptions): Promise<ExternalBackends> {
  const log = options.log ?? consoleLogger;
  const stores = await openPostgresStores({
    url: backends.storeUrl,
    ...(backends.namespace === undefined ? {} : { namespace: backends.namespace }),
    contexts: options.contexts,
    onIdleError: (error, store) => log.warn(`a pooled connection of ${store} failed`, { error: error.message }),
    onHookError: (error) => log.error("an after-commit hook failed", { error: String(error) }),
  });
  try {
    const { connectJetStreamBus } = await import("./bus/jetstream-bus.js");
    const bus = await connectJetStreamBus({ url: backends.busUrl, namespace: stores.namespace, logger: log });
    return {
      stores,
      bus,
      async close() {
        await bus.close().catch(() => {});
        await stores.close();
      },
    };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

/** A store as the bus uses it: SQLite's with its prepared statements, any other through Kysely alone. */
function busStoreOf(store: Store<RuntimeTables>): BusStore {
  return isEmbeddedStore(store) ? { sqlite: store, db: store.db } : { db: store.db };
}

/** A SQLite store's extras, for what only a platform on SQLite does (seed snapshots). */
function sqliteOnly(store: Store<RuntimeTables>): EmbeddedStore<RuntimeTables> {
  if (!isEmbeddedStore(store)) throw new Error("only a platform on SQLite keeps seed snapshots");
  return store;
}

async function startPlatform(
  options: PlatformOptions,
  folder: OpenedDataFolder | undefined,
  external: ExternalBackends | undefined,
): Promise<Platform> {
  const log = options.log ?? consoleLogger;
  // First, so that tracing settings it refuses stop the start before anything is opened.
  const tracing = await createPlatformTracing(
    options.tracing ?? {},
    (method, pathname) => {
      const routed = router.route(method, pathname);
      if (routed.kind !== "match") return undefined;
      const { context, operation } = routed.match;
      return { context, operationId: operation.operationId, path: operation.path };
    },
    log,
    // Called per request, once the platform (and so simGuard) is up.
    (authorization) => simGuard.trusts(authorization),
  );
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const streamSlots = createStreamSlots(limits.maxStreams);
  // The event streams' pages take at most a quarter of the event loop's time, however many streams replay the log:
  // requests (a /healthz) keep the rest (stream-gate.ts says why).
  const streamGate = createStreamGate({ share: 0.25 });
  const dataDir = folder?.dir;
  const file = (name: string) => (dataDir ? join(dataDir, `${name}.db`) : ":memory:");

  const seeded = options.seed !== undefined;
  const snapshots =
    options.memory &&
    !external &&
    options.seedSnapshots &&
    !options.crashAfter?.length &&
    options.contexts.every((module) => SNAPSHOT_CONTEXTS.has(module))
      ? {
          folder: openSeedSnapshots(options.seedSnapshots, {
            refused: (reason) => log.warn(`the seed snapshot is not used, the start seeds instead: ${reason}`),
          }),
          key: seedSnapshotKey({ seed: options.seed, contexts: options.contexts.map((module) => module.name) }),
        }
      : undefined;
  const snapshot = startingSnapshot(snapshots?.folder.read(snapshots.key, new Date()), options.contexts);
  const counted = createCountedRandom(options.seed ?? randomBytes(4).readUInt32LE(0), snapshot?.draws);
  const random = counted.next;
  const clock = new VirtualClock(seeded ? { start: SEEDED_EPOCH, frozen: true } : {});
  const ids = createUlidIds(clock, random, snapshot?.ids);
  /** A store's file, or its seeded database when the start is from a snapshot. */
  const source = (name: string) => snapshot?.stores.get(name) ?? file(name);
  // A snapshot's stores were migrated by this same code (its key says so).
  const migrateStore: typeof migrate = snapshot ? async () => {} : migrate;
  const secret = external ? external.stores.secrets.jwt : loadSecret(dataDir);
  const tokens = createTokenService(secret, clock, ids);
  const faults: FaultSwitches = noFaults();
  // Aborted by close() before the stores close: the contexts' background work stops there (ports.ts `closing`).
  const closing = new AbortController();

  const platformStore = openSqliteStore<IdempotencyTables>(source("platform"));
  // The platform store's other table, beside the Idempotency-Keys the gateway's store keeps.
  const metaDb = platformStore.db.withTables<MetaTables>();
  await migrateStore(
    platformStore.db as Kysely<unknown>,
    {
      "0001_meta": {
        async up(db) {
          await db.schema
            .createTable("meta")
            .addColumn("key", "text", (column) => column.primaryKey())
            .addColumn("value", "text", (column) => column.notNull())
            .execute();
        },
      },
      ...IdempotencyStore.migrations,
    },
    { label: "the platform store", table: "_migrations" },
  );
  const savedClock = await metaDb.selectFrom("meta").select("value").where("key", "=", "clock").executeTakeFirst();
  // The clock is kept with the events it stamps: after a crash, the newest event in the log (or still in an outbox)
  // may be later than the clock last saved, and the clock must resume past it. The manifest's clock counts too: a
  // platform store made anew has no saved clock, and time advanced past the newest event must not be taken back.
  const resumeAt = [savedClock ? new Date(savedClock.value) : undefined, folder?.lastStamped, folder?.lastClock]
    .filter((time): time is Date => time !== undefined)
    .sort((a, b) => a.getTime() - b.getTime())
    .pop();
  // A start from a snapshot goes on from the seed's time, as the run that made it did (a frozen clock stands there).
  if (snapshot) clock.resumeFrom(snapshot.clock);
  else if (resumeAt) {
    // A step past the last time the folder saw: ids made now must sort after every id made before the restart,
    // even under a frozen (seeded) clock where many ids share one millisecond.
    clock.resumeFrom(resumeAt);
    clock.advance(1);
  }
  const saveClock = () =>
    metaDb
      .insertInto("meta")
      .values({ key: "clock", value: clock.now().toISOString() })
      .onConflict((conflict) => conflict.column("key").doUpdateSet({ value: clock.now().toISOString() }))
      .execute();

  // Saved at once, not only at advances and shutdown: after a crash, the restart must still resume past every id
  // this run makes (a seeded clock stands still, so its ids differ only in their random part).
  await saveClock();
  // The embedded log, unless the log is the JetStream stream.
  const eventLog = external ? undefined : await EventLog.open(source("events"));
  const bus: EventBus = eventLog ? createEmbeddedBus(eventLog) : (external as ExternalBackends).bus;
  const metrics = createPlatformMetrics({
    eventLog: bus,
    operationOf: (method, url) => operationOf(method, url),
    contexts: async () => {
      const report = await health();
      return Promise.all(
        running.map(async (context) => {
          const figures = report.contexts[context.module.name];
          return {
            name: context.module.name,
            outboxPending: await context.relay.waiting(),
            subscriptionLag: figures?.lag ?? 0,
            deadLetters: figures?.deadLetters ?? 0,
          };
        }),
      );
    },
  });
  const rpcTrace = createRpcTrace(clock);

  // Contexts are created before the transport that serves their RPCs exists; their clients resolve on first use.
  let rpcClients: RpcClients | undefined;
  const rpc = new Proxy({} as RpcClients, {
    get: (_target, property) => {
      if (!rpcClients) throw new Error("RPC clients are used before the platform finished starting");
      return rpcClients[property as keyof RpcClients];
    },
  });

  /** A context's SQLite store (its file, or in memory), migrated: the runtime's tables, then the context's own. */
  const openContextStore = async (module: AnyContextModule): Promise<Store<RuntimeTables>> => {
    const store = openSqliteStore<RuntimeTables>(source(module.name), {
      onHookError: (error) => log.error(`an after-commit hook of ${module.name} failed`, { error: String(error) }),
    });
    await namingTheFile(file(module.name), async () => {
      await migrateStore(store.db as Kysely<unknown>, runtimeMigrations, {
        label: `${module.name} (runtime tables)`,
        table: "_migrations_runtime",
      });
      await migrateStore(store.db as Kysely<unknown>, module.migrations, { label: module.name, table: "_migrations" });
    });
    return embeddedStore(store);
  };

  const running: RunningContext[] = [];
  for (const module of options.contexts) {
    const store = external?.stores.contexts.get(module.name) ?? (await openContextStore(module));
    const relay = bus.relay({
      producer: module.name,
      store: busStoreOf(store),
      onError: (error) => log.error(`outbox relay of ${module.name} failed`, { error: String(error) }),
    });
    const runtime: ContextRuntime<unknown> = {
      name: module.name,
      db: store.db as Kysely<unknown>,
      afterCommit,
      closing: closing.signal,
      sleep: (milliseconds) => clock.sleep(milliseconds, closing.signal),
      outbox: createOutbox<unknown>({
        producer: module.name,
        clock,
        ids,
        random,
        store,
        onPublish: () => relay.flush(),
        traced: tracing.published,
        clearable: () => relay.clearable(),
      }),
      clock,
      ids,
      random,
      rpc,
      tokens,
      log,
      faults,
      metrics: metrics.context,
      tracing: tracing.contextTracing(module.name),
    };
    running.push({ module, store, parts: module.create(runtime), relay });
  }

  for (const context of running) {
    // Projections first, then the context's own reactions: the same projection functions `ecom replay` runs.
    const subscriptions = composeSubscriber(
      context.module.projections ?? [],
      context.parts.subscriptions as Record<string, never> | undefined,
    );
    if (Object.keys(subscriptions).length > 0) {
      context.subscription = await bus.subscribe({
        subscriber: context.module.name,
        store: busStoreOf(context.store),
        handlers: tracing.subscriber(context.module.name, subscriptions),
        logger: log,
        now: () => clock.now(),
      });
    }
  }
  const crashTypes = new Set(options.crashAfter ?? []);
  bus.watch((events) => {
    folder?.notePublished(events);
    tracing.relayed(events);
    const fatal = events.find((event) => crashTypes.has(event.eventType));
    if (fatal) {
      log.warn(`crash fault: killing the process after ${fatal.eventType} ${fatal.eventId}`);
      process.kill(process.pid, "SIGKILL");
    }
  });

  // Not an async function: with no fault on, a call passes straight on without a promise of its own.
  const faultInterceptor: Interceptor = (next) => (request) => {
    if (faults.inventoryDown && request.service.typeName.startsWith("ecom.inventory.")) {
      // Thrown on the calling side of the in-process transport too, where no router maps it: already a Connect error.
      return Promise.reject(
        toConnectError(new ServiceError("unavailable", "inventory is down (fault injected with POST /_sim/faults)")),
      );
    }
    return next(request);
  };
  const routes = (router: ConnectRouter) => {
    for (const context of running) context.parts.rpc?.(router);
  };
  // One access check for every Connect call: on the in-process transport it sees the service identity that only
  // this transport's router sets; on the port, the caller's bearer token (contexts.yaml rpcAccess decides).
  // serviceErrorsAsConnect comes first on both routers: it answers every ServiceError thrown inside (handlers,
  // the access check) with the error table's Connect code.
  // Split mode: the port also takes the other processes' service tokens, and calls to their contexts go over HTTP.
  const serviceTokens =
    external && options.split ? createServiceTokens({ key: external.stores.secrets.serviceToken }) : undefined;
  const accessInterceptor = createAccessInterceptor({
    tokens,
    rules: rpcAccess,
    ...(serviceTokens ? { serviceTokens } : {}),
  });
  const rpcClientInterceptors = [...tracing.rpcClientInterceptors, rpcTrace.interceptor, faultInterceptor];
  const inProcess = createInProcessTransport(routes, {
    router: {
      interceptors: [
        ...tracing.rpcServerInterceptors,
        serviceErrorsAsConnect,
        serviceIdentityInterceptor,
        accessInterceptor,
      ],
    },
    transport: { interceptors: rpcClientInterceptors },
  });
  rpcClients = createRpcClients(
    serviceTokens && options.split
      ? createSplitTransport({
          local: new Set(options.contexts.map((module) => module.name)),
          inProcess,
          remote: createHttpTransport({
            caller: options.contexts.map((module) => module.name).join("+"),
            registry: options.split.registry,
            tokens: serviceTokens,
            interceptors: rpcClientInterceptors,
          }),
        })
      : inProcess,
  );

  const handlers = new Map<string, RestHandlerTable>();
  for (const context of running) if (context.parts.rest) handlers.set(context.module.name, context.parts.rest);
  const router = new RestRouter();
  /** A request's operation as a metrics label: only names the contracts define, so callers cannot grow the set. */
  const operationOf = (method: string, url: string) => {
    const pathname = url.split(/[?#]/, 1)[0] ?? url;
    if (pathname.startsWith("/ecom."))
      return Object.hasOwn(rpcAccess, pathname.slice(1)) ? pathname.slice(1) : "unknown";
    if (pathname === "/healthz" || pathname === "/metrics" || pathname === GRAPHQL_PATH) return pathname.slice(1);
    if (pathname.startsWith("/_sim/")) return "_sim";
    const routed = router.route(method, pathname);
    if (routed.kind === "match") return routed.match.operation.operationId;
    return method === "GET" && !pathname.startsWith("/_") ? "console" : "unknown";
  };
  const idempotency = new IdempotencyStore(platformStore, () => clock.now());
  /** The event-stream source of a GET request's operation, when a context serves it as one. */
  const partsOf = (contextName: string) => running.find((context) => context.module.name === contextName)?.parts;
  // Only a few GET operations are served as event streams or WebSockets: a router of those alone turns every other
  // request away without parsing its URL or scanning the whole contract.
  const liveRouter = router.only(
    (context, operation) =>
      operation.method === "GET" &&
      Boolean(partsOf(context)?.streams?.[operation.operationId] ?? partsOf(context)?.sockets?.[operation.operationId]),
  );
  /** The full route of a GET that may be a stream or socket operation; undefined for the rest. */
  const liveRoute = (method: string, url: string) => {
    if (method !== "GET") return undefined;
    if (url.startsWith("/") && liveRouter.route(method, url.split(/[?#]/, 1)[0] ?? url).kind !== "match")
      return undefined;
    const routed = router.route(method, new URL(url, "http://gateway.invalid").pathname);
    return routed.kind === "match" ? routed.match : undefined;
  };
  const streamOf = (method: string, url: string) => {
    const match = liveRoute(method, url);
    return match && partsOf(match.context)?.streams?.[match.operation.operationId];
  };
  /** Why a stream operation's request is refused (the same rule and token check as REST), or undefined. */
  const streamRefusal = (method: string, url: string, authorization: string | undefined) => {
    const routed = router.route(method, new URL(url, "http://gateway.invalid").pathname);
    if (routed.kind !== "match") return undefined;
    try {
      const caller = callerOf(tokens, authorization);
      return accessDenied(routed.match.operation.access, caller, `${method} ${routed.match.operation.path}`);
    } catch (error) {
      return ServiceError.from(error);
    }
  };
  const sourceOf = (contextName: string, operationId: string) => partsOf(contextName)?.sockets?.[operationId];
  /** The WebSocket source of a GET request's operation, when a context serves it as one. */
  const socketOf = (method: string, url: string) => {
    const match = liveRoute(method, url);
    return match && sourceOf(match.context, match.operation.operationId);
  };
  const eventSockets = createEventSockets({
    eventLog: bus,
    router,
    sourceOf,
    tokens,
    ids,
    log,
    slots: streamSlots,
    gate: streamGate,
  });
  const restGateway = createRestGateway({
    router,
    handlers,
    tokens,
    idempotency,
    ids,
    log,
    validateResponses: options.validateResponses ?? true,
  });

  /**
   * Deliver until quiet. With `background`, also wait for the contexts' own background work (saga runs); the clock
   * and shutdown do not, since a saga may be waiting on a call that only they can let go of.
   */
  const settleWith = async ({ background }: { readonly background: boolean }) => {
    for (let round = 0; round < 1000; round++) {
      const before = await bus.lastSeq();
      await Promise.all(running.map((context) => context.relay.idle()));
      for (const context of running) await context.relay.drain();
      // Through the dispatchers' own runners, so a pass settle asks for never overlaps one already under way.
      for (const context of running) context.subscription?.kick();
      await Promise.all(running.map((context) => context.subscription?.idle()));
      if (background) await Promise.all(running.map((context) => context.parts.idle?.()));
      for (const context of running) await context.relay.drain();
      const outboxes = await Promise.all(running.map((context) => context.relay.waiting()));
      if (outboxes.some((waiting) => waiting > 0) || (await bus.lastSeq()) !== before) continue;
      const caught = await Promise.all(
        running.map(async (context) => ((await context.subscription?.position(1))?.pending ?? 0) === 0),
      );
      if (caught.every(Boolean)) return;
    }
    throw new Error("the platform did not settle: events keep producing events");
  };
  const settle = () => settleWith({ background: true });

  const advanceClock = async (milliseconds: number) => {
    const now = clock.advance(milliseconds);
    await saveClock();
    for (const context of running) await context.parts.tick?.(now);
    await idempotency.purgeExpired();
    await settleWith({ background: false });
    return now;
  };

  const health = createHealthReporter({
    clock,
    frozen: seeded,
    faults,
    eventLog: bus,
    dataDir,
    contexts: () =>
      running.map((context) => ({
        name: context.module.name,
        db: context.store.db as Kysely<unknown>,
        subscription: context.subscription,
        breakers: context.parts.breakers,
      })),
  });
  const simRoutes = createSimRoutes({
    health,
    metrics: () => metrics.render(),
    clock,
    faults,
    eventLog: bus,
    advanceClock,
    contexts: running.map((context) => context.module.name),
    slowStreamTimeoutMs: limits.slowStreamTimeoutMs,
    gate: streamGate,
    isAdmin: (authorization) => {
      try {
        const caller = callerOf(tokens, authorization);
        return caller.kind === "principal" && caller.principal.role === "admin";
      } catch {
        return false;
      }
    },
    breakers: () => running.flatMap((context) => context.parts.breakers?.() ?? []),
    views: Object.fromEntries(running.flatMap((context) => Object.entries(context.parts.views ?? {}))),
    endpoints: Object.fromEntries(running.flatMap((context) => Object.entries(context.parts.endpoints ?? {}))),
    rpcCalls: rpcTrace.callsOf,
  });
  let listeningHost: string | undefined;
  const consoleRoutes = createPlatformConsole({
    contexts: running.map((context) => context.module.name),
    devAccounts: options.devAccounts,
    host: () => listeningHost,
    handle: (request) => handle(request),
  });
  const graphqlEndpoint = createLazyGraphqlEndpoint({
    contexts: running.flatMap(({ module, parts }) =>
      parts.graphql ? [{ name: module.name, graphql: parts.graphql }] : [],
    ),
    log,
    checkToken: (authorization) => callerOf(tokens, authorization),
  });
  const simGuard = createSimGuard(tokens);
  const traceRoutes = createTraceRoutes(tracing, { traceUrl: options.tracing?.traceUrl });
  const handle = async (request: GatewayRequest): Promise<GatewayResponse> => {
    const badPath = pathProblem(request.url);
    if (badPath) return problemResponse(badPath, request.url.split("?", 1)[0] ?? "/", "");
    const pathname = new URL(request.url, "http://gateway.invalid").pathname;
    const simRefused = simGuard.refusal(request.method, pathname, request.headers.authorization);
    if (simRefused) return problemResponse(simRefused, pathname, "");
    const sim = (await simRoutes.handle(request)) ?? traceRoutes(request) ?? (await consoleRoutes.handle(request));
    if (sim) return sim;
    if (graphqlEndpoint && pathname === GRAPHQL_PATH) return graphqlEndpoint(request);
    const stream = streamOf(request.method, request.url);
    if (stream) {
      const refused = streamRefusal(request.method, request.url, request.headers.authorization);
      if (refused) return problemResponse(refused, new URL(request.url, "http://gateway.invalid").pathname, "");
      // In-process there is no connection to keep open: the answer is what a new subscriber is sent first.
      const body = await initialStreamBody(bus, stream, request.headers["last-event-id"], clock.now());
      return { status: 200, headers: { "content-type": "text/event-stream" }, body };
    }
    if (socketOf(request.method, request.url)) {
      // Only a WebSocket handshake on the port (the server's upgrade event) opens the socket; anything else is told so.
      const pathname = new URL(request.url, "http://gateway.invalid").pathname;
      return upgradeRequiredResponse(pathname, request.headers["correlation-id"] || ids.next("cor"));
    }
    return tracing.rest(request, restGateway);
  };

  // A snapshot holds what the seed made, delivered: the seed is not run again.
  if (!snapshot) for (const context of running) await context.parts.seed?.();
  await settle();
  // The seed's events are in the log: their outbox rows go now, not with each context's next publish (nor into the
  // snapshot, whose every start would append them again).
  for (const context of running) await context.relay.clear();
  if (snapshots && !snapshot) {
    try {
      snapshots.folder.write(snapshots.key, {
        seeded,
        clock: clock.now(),
        draws: counted.draws(),
        ids: ids.state(),
        stores: new Map([
          ["platform", platformStore.serialize()],
          ...(eventLog ? [["events", eventLog.serialize()] as const] : []),
          ...running.map((context) => [context.module.name, sqliteOnly(context.store).serialize()] as const),
        ]),
      });
    } catch (error) {
      log.warn("the seed snapshot could not be kept; the next start seeds again", { error: String(error) });
    }
  }
  for (const context of running) await context.parts.start?.();
  for (const context of running) context.subscription?.kick();

  // A running (unseeded) clock moves by itself, so what falls due (reservations, carts, flash sales) is looked at
  // every second; a frozen clock moves only through advanceClock, which ticks itself.
  let ticking = false;
  const ticker = seeded
    ? undefined
    : setInterval(() => {
        if (ticking) return;
        ticking = true;
        const now = clock.now();
        Promise.all([...running.map((context) => context.parts.tick?.(now)), idempotency.purgeExpired()])
          .catch((error) => log.error("tick failed", { error: String(error) }))
          .finally(() => {
            ticking = false;
          });
      }, 1_000);
  ticker?.unref();

  // WAL checkpoints run in a worker thread with connections of its own, so no request waits for one.
  const checkpointer = createWalCheckpointer(
    dataDir ? ["platform", "events", ...running.map((context) => context.module.name)].map(file) : [],
    { log },
  );
  const checkpoints = setInterval(() => {
    saveClock().catch((error) => log.error("saving the clock failed", { error: String(error) }));
    try {
      folder?.saveManifest(clock.now());
    } catch (error) {
      log.error("writing the data folder's manifest failed", { error: String(error) });
    }
  }, 5_000);
  checkpoints.unref();

  let server: OnePortServer | undefined;
  /** Take one of the stream slots for the response's lifetime; false when all are taken. */
  const admitStream = (response: ServerResponse) => {
    if (!streamSlots.acquire()) return false;
    response.once("close", () => streamSlots.release());
    return true;
  };
  const nodeFallback = async (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? "/";
    const badPath = pathProblem(url);
    if (badPath) return writeProblem(response, badPath, url.split("?", 1)[0] ?? "/");
    if (request.method === "GET" && url.startsWith("/_sim/events")) {
      const pathname = new URL(url, "http://gateway.invalid").pathname;
      const refused = simGuard.refusal("GET", pathname, request.headers.authorization);
      if (refused) return writeProblem(response, refused, pathname);
      if (!admitStream(response)) return tooManyStreams(response, pathname);
      return simRoutes.streamEvents(request, response);
    }
    const stream = streamOf(request.method ?? "GET", url);
    if (stream) {
      const refused = streamRefusal(request.method ?? "GET", url, request.headers.authorization);
      if (refused) return writeProblem(response, refused, new URL(url, "http://gateway.invalid").pathname);
    }
    if (stream) {
      if (!admitStream(response)) return tooManyStreams(response, new URL(url, "http://gateway.invalid").pathname);
      return serveEventStream(request, response, {
        eventLog: bus,
        source: stream,
        now: () => clock.now(),
        slowStreamTimeoutMs: limits.slowStreamTimeoutMs,
        gate: streamGate,
      });
    }
    const gatewayRequest = await readNodeRequest(request);
    if (!gatewayRequest) {
      const tooLarge = new ServiceError("payload_too_large", "The body is larger than 1 MiB; send a smaller one.");
      const problem = problemResponse(tooLarge, url.split("?", 1)[0] ?? "/", "");
      // The rest of the body is never read, so the connection cannot carry another request.
      return writeNodeResponse(response, { ...problem, headers: { ...problem.headers, connection: "close" } });
    }
    writeNodeResponse(response, await handle(gatewayRequest));
  };
  type NodeHandler = ReturnType<typeof connectNodeAdapter>;
  const fallback: NodeHandler = (request, response) => {
    const nodeResponse = response as ServerResponse;
    nodeFallback(request as IncomingMessage, nodeResponse).catch((error) => {
      log.error("request failed", { error: String(error) });
      if (!nodeResponse.headersSent) nodeResponse.writeHead(500).end();
    });
  };
  const connectHandler = connectNodeAdapter({
    routes,
    // The same limit as REST bodies; connect-es would otherwise read up to 4 GiB.
    readMaxBytes: MAX_BODY_BYTES,
    interceptors: [...tracing.rpcEdgeInterceptors, serviceErrorsAsConnect, accessInterceptor, faultInterceptor],
    fallback,
  });
  // Every RPC path is `/ecom.<context>.v1.<Service>/<Method>`; REST, /_sim and the console never start so, and skip
  // connect-node's route lookup and request wrapping (a fifth of a REST request's CPU).
  const nodeHandler: NodeHandler = (request, response) =>
    request.url?.startsWith("/ecom.") ? connectHandler(request, response) : fallback(request, response);

  return {
    clock,
    eventLog: bus,
    bus,
    faults,
    dataDir,
    rpc,
    feeds: Object.fromEntries(running.flatMap((context) => Object.entries(context.parts.feeds ?? {}))),
    handle,
    fetch: async (request) => toFetchResponse(await handle(await readFetchRequest(request))),
    async listen(port, host = "127.0.0.1") {
      simGuard.boundTo(host);
      const { onRequest } = options;
      const handler = withRequestLog(nodeHandler as never, (entry) => {
        metrics.observeRequest(entry);
        onRequest?.(entry);
      });
      server = createOnePortServer(handler as never, { websocket: eventSockets.upgrade, limits });
      listeningHost = host;
      const address: AddressInfo = await server.listen(port, host);
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
      folder?.recordListening(address.port, url);
      return url;
    },
    advanceClock,
    settle,
    health,
    flushTraces: () => tracing.flush(),
    async close() {
      clearInterval(checkpoints);
      await checkpointer.close();
      if (ticker) clearInterval(ticker);
      while (ticking) await new Promise((resolveTick) => setTimeout(resolveTick, 5));
      simRoutes.close();
      metrics.close();
      await eventSockets.close();
      await server?.close();
      await settleWith({ background: false }).catch((error) =>
        log.warn("closing before every event was delivered", { error: String(error) }),
      );
      for (const context of running) {
        context.relay.stop();
        context.subscription?.stop();
      }
      // Background work (webhook attempts) stops before the stores close; what it left unfinished resumes on start.
      await Promise.all(running.map((context) => context.parts.stop?.()));
      await Promise.all(running.flatMap((context) => [context.relay.idle(), context.subscription?.idle()]));
      closing.abort(new Error("the platform is closing"));
      for (const context of running) await context.relay.clear();
      await saveClock();
      if (external) await external.close();
      else {
        for (const context of running) {
          const { store } = context;
          if (isEmbeddedStore(store)) store.checkpoint();
          await store.close();
        }
        eventLog?.checkpoint();
        await bus.close();
      }
      platformStore.checkpoint();
      await platformStore.close();
      folder?.close(clock.now());
      await tracing.close();
    },
  };
}

/** `snapshot` when it holds a store for every context, the platform's and the log; otherwise undefined (seed instead). */
function startingSnapshot(
  snapshot: SeedSnapshot | undefined,
  contexts: readonly AnyContextModule[],
): SeedSnapshot | undefined {
  const names = ["platform", "events", ...contexts.map((module) => module.name)];
  return snapshot && names.every((name) => snapshot.stores.has(name)) ? snapshot : undefined;
}

/** Run a store's first statements, so that a store SQLite refuses (malformed) is named in the error. */
async function namingTheFile(path: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (path === ":memory:") throw error;
    throw new DataFolderError(
      "damaged",
      `${basename(path)} in ${dirname(path)} cannot be used: ${(error as Error).message}; restore it from a backup, or start over with \`ecom sim reset --data ${dirname(path)}\``,
    );
  }
}

/** The data folder's token secret: made once and kept, so tokens outlive restarts; new for each in-memory run. */
function loadSecret(dataDir: string | undefined): Buffer {
  if (!dataDir) return randomBytes(32);
  const path = join(dataDir, "secret");
  if (existsSync(path)) {
    const text = readFileSync(path, "utf8").trim();
    // A short or damaged secret would make tokens forgeable (an empty HMAC key): refuse it rather than run.
    if (!/^[0-9a-f]{64}$/i.test(text))
      throw new Error(
        `${path} is not a 64-digit hex token secret; delete it to have a new one made (every issued token stops working)`,
      );
    return Buffer.from(text, "hex");
  }
  const secret = randomBytes(32);
  writeFileSync(path, `${secret.toString("hex")}\n`, { mode: 0o600 });
  return secret;
}
