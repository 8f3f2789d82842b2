import type { Kysely } from "kysely";
import { AppliedClock } from "./applied-clock.js";
import { expectedStores, type OpenedDataFolder, openDataFolder } from "./data-folder/open-data-folder.js";
import { readFetchRequest, toFetchResponse } from "./gateway/node-adapter.js";
import { RestRouter } from "./gateway/rest-router.js";
import { createPlatformMetrics, type PlatformMetrics } from "./metrics/platform-metrics.js";
import { type ExternalBackends, openBackends } from "./platform-backends.js";
import { createContexts, type RunningContext, subscribeContexts, watchRelayed } from "./platform-contexts.js";
import { openPlatformCore, type PlatformCore } from "./platform-core.js";
import { createHealthReporter, type HealthReport } from "./platform-health.js";
import { createPlatformHttp, type PlatformHttp } from "./platform-http.js";
import { createPlatformPort, type PlatformPort } from "./platform-node.js";
import { consoleLogger, type Platform, type PlatformOptions } from "./platform-options.js";
import { createLiveRoutes, operationLabeller, tracedRouteOf } from "./platform-routes.js";
import { createDeferredRpc, createPlatformRpc } from "./platform-rpc.js";
import { keepSeedSnapshot } from "./platform-seed.js";
import { createSettle, type PlatformTimers, startTimers } from "./platform-settle.js";
import { createRpcTrace } from "./rpc-trace.js";
import { isEmbeddedStore } from "./store/store-port.js";
import { createPlatformTracing } from "./tracing/platform-tracing.js";

export type { Platform, PlatformBackends, PlatformOptions } from "./platform-options.js";
export { SEEDED_EPOCH } from "./platform-options.js";

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

async function startPlatform(
  options: PlatformOptions,
  folder: OpenedDataFolder | undefined,
  external: ExternalBackends | undefined,
): Promise<Platform> {
  const log = options.log ?? consoleLogger;
  const router = new RestRouter();
  let http: PlatformHttp | undefined;
  // First, so that tracing settings it refuses stop the start before anything is opened.
  const tracing = await createPlatformTracing(
    options.tracing ?? {},
    tracedRouteOf(router),
    log,
    // Called per request, once the platform (and so its sim guard) is up.
    (authorization) => (http as PlatformHttp).simGuard.trusts(authorization),
  );
  const core = await openPlatformCore(options, folder, external, tracing, log);
  const { clock, bus } = core;
  let running: readonly RunningContext[] = [];
  const metrics = createPlatformMetrics({
    eventLog: bus,
    operationOf: operationLabeller(router),
    contexts: () => contextFigures(running, health),
  });
  const rpcTrace = createRpcTrace(clock);
  // Contexts are created before the transport that serves their RPCs exists; their clients resolve on first use.
  const deferred = createDeferredRpc();
  running = await createContexts(core, deferred.rpc, metrics.context);
  await subscribeContexts(core, running);
  watchRelayed(core);
  const rpc = createPlatformRpc(core, running, rpcTrace);
  deferred.resolve(rpc.clients);
  const live = createLiveRoutes(router, running, core.tokens);
  const settleWith = createSettle(bus, running);
  const settle = () => settleWith({ background: true });
  // What was due when the clock was resumed is the start's work: applied from there on.
  const appliedClock = new AppliedClock(clock.now());
  const advanceClock = async (milliseconds: number) => {
    const now = clock.advance(milliseconds);
    await core.platformStore.saveClock();
    for (const context of running) await context.parts.tick?.(now);
    await core.platformStore.idempotency.purgeExpired();
    await settleWith({ background: false });
    appliedClock.mark(now);
    return now;
  };
  const health = createHealthReporter({
    clock,
    frozen: core.seeded,
    faults: core.faults,
    eventLog: bus,
    dataDir: core.dataDir,
    contexts: () =>
      running.map((context) => ({
        name: context.module.name,
        db: context.store.db as Kysely<unknown>,
        subscription: context.subscription,
        breakers: context.parts.breakers,
      })),
  });
  http = createPlatformHttp({
    core,
    running,
    router,
    live,
    health,
    metrics,
    advanceClock,
    settle,
    appliedClock,
    rpcTrace,
  });
  await seedAndStart(core, running, settle);
  const timers = startTimers(core, running);
  const port = createPlatformPort({ core, http, live, rpc, metrics });
  const { handle } = http;
  return {
    clock,
    eventLog: bus,
    bus,
    faults: core.faults,
    dataDir: core.dataDir,
    rpc: deferred.rpc,
    feeds: Object.fromEntries(running.flatMap((context) => Object.entries(context.parts.feeds ?? {}))),
    handle,
    fetch: async (request) => toFetchResponse(await handle(await readFetchRequest(request))),
    listen: (portNumber, host = "127.0.0.1") => port.listen(portNumber, host),
    advanceClock,
    markClockApplied: (time) => appliedClock.mark(time),
    settle,
    health,
    flushTraces: () => tracing.flush(),
    close: () => closePlatform({ core, running, timers, http, metrics, port, settleWith }),
    halt: () => haltPlatform({ core, running, timers, http, port }),
  };
}

/**
 * Stop serving and delivering without finishing anything (Platform.halt): a process that lost its claims must not
 * commit for its contexts any more, while the successor that took them may already be starting.
 */
async function haltPlatform(parts: {
  readonly core: PlatformCore;
  readonly running: readonly RunningContext[];
  readonly timers: PlatformTimers;
  readonly http: PlatformHttp;
  readonly port: PlatformPort;
}): Promise<void> {
  // Work under way stops too (a saga run stops between steps, a backoff is cut short), as when closing: it would
  // otherwise go on calling and committing for contexts another process may already serve.
  parts.core.closing.abort(new Error("the platform lost its claims"));
  // The listening socket closes at once; the promise waits for the requests in flight.
  const closed = parts.port.close();
  for (const context of parts.running) {
    context.relay.stop();
    context.subscription?.stop();
  }
  parts.http.simRoutes.close();
  await Promise.all([parts.timers.close(), parts.http.eventSockets.close(), closed]);
}

/** Each context's figures for `/metrics`: its outbox backlog, subscription lag and dead letters. */
async function contextFigures(running: readonly RunningContext[], health: () => Promise<HealthReport>) {
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
}

/**
 * Seed empty stores (a snapshot holds what the seed made, delivered: the seed is not run again), deliver what the
 * seed published and keep a snapshot of it when asked; then let each context resume unfinished work.
 */
async function seedAndStart(
  core: PlatformCore,
  running: readonly RunningContext[],
  settle: () => Promise<void>,
): Promise<void> {
  if (!core.snapshot) for (const context of running) await context.parts.seed?.();
  await settle();
  // The seed's events are in the log: their outbox rows go now, not with each context's next publish (nor into the
  // snapshot, whose every start would append them again).
  for (const context of running) await context.relay.clear();
  if (core.snapshots && !core.snapshot) keepSeedSnapshot(core, running, core.snapshots);
  for (const context of running) await context.parts.start?.();
  for (const context of running) context.subscription?.kick();
}

/** Stop serving, finish in-flight delivery, stop background work, save the clock, checkpoint and close every store. */
async function closePlatform(parts: {
  readonly core: PlatformCore;
  readonly running: readonly RunningContext[];
  readonly timers: PlatformTimers;
  readonly http: PlatformHttp;
  readonly metrics: PlatformMetrics;
  readonly port: PlatformPort;
  readonly settleWith: ReturnType<typeof createSettle>;
}): Promise<void> {
  const { core, running } = parts;
  await parts.timers.close();
  parts.http.simRoutes.close();
  parts.metrics.close();
  await parts.http.eventSockets.close();
  await parts.port.close();
  await parts
    .settleWith({ background: false })
    .catch((error) => core.log.warn("closing before every event was delivered", { error: String(error) }));
  for (const context of running) {
    context.relay.stop();
    context.subscription?.stop();
  }
  // Background work (webhook attempts) stops before the stores close; what it left unfinished resumes on start.
  await Promise.all(running.map((context) => context.parts.stop?.()));
  await Promise.all(running.flatMap((context) => [context.relay.idle(), context.subscription?.idle()]));
  core.closing.abort(new Error("the platform is closing"));
  for (const context of running) await context.relay.clear();
  await core.platformStore.saveClock();
  if (core.external) await core.external.close();
  else {
    for (const context of running) {
      const { store } = context;
      if (isEmbeddedStore(store)) store.checkpoint();
      await store.close();
    }
    core.eventLog?.checkpoint();
    await core.bus.close();
  }
  await core.platformStore.close();
  core.folder?.close(core.clock.now());
  await core.tracing.close();
}
