import { resolve } from "node:path";
import { parseBackends } from "../backend-options.js";
import { createClaimLoss } from "../claim-loss.js";
import { UsageError } from "../exit-codes.js";
import { parseMqttUrl, parsePort, parseSeed } from "../options.js";
import { ensurePortFree } from "../port-probe.js";
import { createSimLog, parseLogFormat, parseLogLevel } from "../request-log.js";
import { seedSnapshotsDir } from "../seed-snapshots-dir.js";
import { simBanner } from "./sim-banner.js";
import { type DeviceFeed, ensureMqttPortFree, parseMqttPort, startDeviceFeed } from "./sim-device-feed.js";

/** `ecom sim up`'s options, as commander gives them (see sim.ts for what each means). */
export interface SimUpOptions {
  port: string;
  host: string;
  data: string;
  memory?: boolean;
  seed?: string;
  seedSnapshot: boolean;
  validateResponses: boolean;
  crashAfter?: string;
  trace?: boolean;
  traceUrl?: string;
  mqtt?: string;
  mqttListen?: string;
  logLevel: string;
  logFormat: string;
  store?: string;
  bus?: string;
  namespace?: string;
}

/**
 * `ecom sim up`: check the options and the ports (before the data folder is opened, so a bad one leaves it
 * untouched), start the platform, listen, start the device feed, print the banner, and close everything cleanly on
 * SIGINT or SIGTERM.
 */
export async function runSimUp(options: SimUpOptions): Promise<void> {
  const started = performance.now();
  const checked = await checkSimUpOptions(options);
  const { platform, claims, loss, devAccounts, contexts, restContracts, rpcServices, loopback } =
    await startSimPlatform(options, checked);
  let feed: DeviceFeed | undefined;
  // The device feed adjusts stock: it stops with the rest.
  loss?.serving({ halt: async () => void (await Promise.all([feed?.close(), platform.halt()])) });
  const closeAll = async () => {
    await platform.close();
    await claims?.release();
  };
  let url: string;
  try {
    url = await platform.listen(checked.port, options.host);
    // The registry names where the holder answers, in the refusal of another process.
    await claims?.registration.announce(url);
  } catch (error) {
    if (loss?.lost) throw error;
    await closeAll();
    if ((error as { code?: string }).code === "EADDRINUSE")
      throw new UsageError(`port ${checked.port} is in use; pass --port <another> (or 0 for any free port)`);
    throw error;
  }
  try {
    feed = await startDeviceFeed(platform, {
      url: checked.mqttUrl,
      listenPort: checked.mqttPort,
      host: options.host,
      log: checked.simLog.logger,
    });
  } catch (error) {
    await closeAll();
    throw new UsageError((error as Error).message);
  }
  const [adminToken, customerToken] = await Promise.all([
    devToken(platform.handle, devAccounts.admin.email, devAccounts.admin.password),
    devToken(platform.handle, devAccounts.customer.email, devAccounts.customer.password),
  ]);
  const lines = simBanner({
    url,
    seconds: ((performance.now() - started) / 1000).toFixed(2),
    contexts,
    restContracts,
    rpcServices,
    dataDir: platform.dataDir,
    backends: checked.backends,
    seed: checked.seed,
    trace: { kept: options.trace === true, traceUrl: checked.traceUrl },
    feed,
    loopback,
    host: options.host,
    devAccounts: {
      admin: { ...devAccounts.admin, token: adminToken },
      customer: { ...devAccounts.customer, token: customerToken },
    },
  });
  // The handlers go in before the banner: a reader that stops us as soon as it sees the URL (a test, a script) must
  // find them there, even when this process is descheduled right after the write.
  const stopped = stopSignal(() => loss?.lost === true);
  process.stdout.write(`${lines.join("\n")}\n`);
  await stopped;
  await feed?.close();
  // Deliveries stop before the claims go: whoever claims the contexts next starts from settled cursors.
  await closeAll();
  checked.simLog.flush();
  process.stdout.write("stopped cleanly.\n");
}

/** The options checked and parsed, and the ports free; each fault is a one-line usage error. */
async function checkSimUpOptions(options: SimUpOptions) {
  const port = parsePort(options.port);
  const backends = parseBackends(options);
  const simLog = createSimLog({ level: parseLogLevel(options.logLevel), format: parseLogFormat(options.logFormat) });
  const seed = options.seed === undefined ? undefined : parseSeed(options.seed);
  if (options.mqtt !== undefined && options.mqttListen !== undefined)
    throw new UsageError("pass --mqtt <url> (an existing broker) or --mqtt-listen <port> (an embedded one), not both");
  const mqttUrl = options.mqtt === undefined ? undefined : parseMqttUrl(options.mqtt);
  const traceUrl = parseTraceUrl(options.traceUrl ?? process.env.ECOM_TRACE_URL);
  const mqttPort = options.mqttListen === undefined ? undefined : parseMqttPort(options.mqttListen);
  if (port !== 0) await ensurePortFree(port, options.host);
  if (mqttPort !== undefined && mqttPort !== 0) await ensureMqttPortFree(mqttPort, options.host);
  return { port, backends, simLog, seed, mqttUrl, traceUrl, mqttPort };
}

/**
 * Load the platform's modules and start it: on the backends, every context is claimed first, as `ecom serve` claims
 * its own (registry and PostgreSQL locks), so an `ecom serve` or `ecom replay` of them is refused while this runs,
 * and a lost claim stops it.
 */
async function startSimPlatform(options: SimUpOptions, checked: Awaited<ReturnType<typeof checkSimUpOptions>>) {
  const [{ allContexts, devAccounts }, simulator, { rpcServices }, { restContexts }] = await Promise.all([
    import("@ecom/services"),
    import("@ecom/simulator"),
    import("@ecom/sdk/rpc"),
    import("@ecom/sdk/contracts"),
  ]);
  const { backends, seed, simLog } = checked;
  const contexts = allContexts.map((context) => context.name);
  const loss = backends ? createClaimLoss({ command: "ecom sim up", contexts }) : undefined;
  const claims =
    backends && loss
      ? await simulator.claimContexts({
          connection: backends.busUrl,
          store: backends.storeUrl,
          namespace: simulator.storeNamespace(backends.storeUrl, backends.namespace),
          contexts,
          log: simLog.logger,
          onLost: loss.onLost,
        })
      : undefined;
  const platform = await simulator
    .createPlatform({
      contexts: allContexts,
      ...(backends ? { backends } : options.memory ? { memory: true } : { dataDir: resolve(options.data) }),
      ...(seed === undefined ? {} : { seed }),
      ...(options.memory && options.seedSnapshot ? { seedSnapshots: seedSnapshotsDir() } : {}),
      validateResponses: options.validateResponses,
      log: simLog.logger,
      onRequest: simLog.onRequest,
      devAccounts,
      ...(options.crashAfter ? { crashAfter: options.crashAfter.split(",").map((type) => type.trim()) } : {}),
      tracing: { keepSpans: options.trace ? KEPT_SPANS : 0, traceUrl: checked.traceUrl },
    })
    .catch(async (error: unknown) => {
      await claims?.release();
      throw error;
    });
  return {
    platform,
    claims,
    loss,
    devAccounts,
    contexts,
    restContracts: Object.keys(restContexts),
    rpcServices,
    loopback: simulator.isLoopbackHost(options.host),
  };
}

/** Resolves on the first SIGINT or SIGTERM (saying so), unless `lost` (a lost claim halts the process itself). */
function stopSignal(lost: () => boolean): Promise<void> {
  return new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      if (lost()) return;
      process.stdout.write(`\n${signal}: stopping; finishing event delivery and closing stores…\n`);
      resolveStop();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

/** Log in as a dev account through the platform's own REST surface; the banner shows the token. */
async function devToken(
  handle: (request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body: string;
  }) => Promise<{ status: number; body: string }>,
  email: string,
  password: string,
): Promise<string> {
  const response = await handle({
    method: "POST",
    url: "/auth/login",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`cannot log in as ${email} (${response.status}): ${response.body}`);
  return (JSON.parse(response.body) as { accessToken: string }).accessToken;
}

/** Spans `--trace` keeps: the latest hundred or so checkouts. */
const KEPT_SPANS = 10_000;

/** A trace UI's URL template: http(s) with `{traceId}` in it; anything else is a usage error. */
function parseTraceUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value.replace("{traceId}", "0"));
  } catch {
    url = undefined;
  }
  if (!value.includes("{traceId}") || !url || !/^https?:$/.test(url.protocol))
    throw new UsageError(
      `--trace-url (or ECOM_TRACE_URL) must be an http(s) URL with {traceId} in it, like http://localhost:16686/trace/{traceId}; got ${value}`,
    );
  return value;
}
