import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import { resolve } from "node:path";
import type { FeedHandler, Logger } from "@ecom/services/platform";
import type { Command } from "commander";
import { createClaimLoss } from "../claim-loss.js";
import { UsageError } from "../exit-codes.js";
import { parseMqttUrl, parsePort, parseSeed, withoutCredentials } from "../options.js";
import { createSimLog, logFormats, logLevels, parseLogFormat, parseLogLevel } from "../request-log.js";
import { seedSnapshotsDir } from "../seed-snapshots-dir.js";
import { registerSimDataCommands } from "./sim-data.js";
import { registerSimExportCommand } from "./sim-export.js";

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

/** Fail with a one-line usage error when `port` of `host` cannot be listened on. */
async function ensurePortFree(port: number, host: string): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      probe.once("error", rejectListen);
      probe.listen({ port, host, exclusive: true }, resolveListen);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new UsageError(`port ${port} is in use; pass --port <another> (or 0 for any free port)`);
    throw new UsageError(`cannot listen on ${host}:${port} (${code ?? String(error)}); pass --host/--port`);
  } finally {
    await new Promise((resolveClose) => probe.close(resolveClose));
  }
}

/** Register `ecom sim …`. */
export function registerSimCommand(program: Command): void {
  const sim = program.command("sim").description("Run the platform locally: every context in one process on SQLite.");
  registerSimDataCommands(sim);
  registerSimExportCommand(sim);
  sim
    .command("up")
    .description(
      "Start the platform: REST (per the OpenAPI contracts), Connect/gRPC-web RPCs, GraphQL and live events on one port, seeded with a " +
        "book catalog, an admin and a demo customer. State lives in the data folder and survives restarts. Ctrl-C stops it cleanly.",
    )
    .option("--port <port>", "the port to listen on (0 for any free port)", "4000")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option("--data <dir>", "the data folder", ".ecom")
    .option("--memory", "keep everything in memory: a throwaway run (ECOM_STORE_URL and ECOM_BUS_URL are ignored)")
    .option("--seed <n>", "fix ids, the clock's start and random choices so a run can be reproduced")
    .option(
      "--no-seed-snapshot",
      `with --memory: seed every store anew instead of starting from the seeded state kept in ${seedSnapshotsDir()} (kept per --seed, made again when the code changes)`,
    )
    .option("--no-validate-responses", "do not check responses against the contracts")
    .option(
      "--log-level <level>",
      `what to log: ${logLevels.join(", ")} (info: one line per request; warn/error: failed requests only; debug: more detail)`,
      "info",
    )
    .option("--log-format <format>", `the request log's format: ${logFormats.join(" or ")}`, "text")
    .option(
      "--mqtt <url>",
      "subscribe (QoS 1) to warehouse devices' stock deltas on the MQTT broker at this URL (mqtt://host:port): topic " +
        'iot/inventory/{sku}/delta ({sku}: the ISBN-13), payload {"delta":-2,"reason":"SENSOR","deviceId":"shelf-scale-07",' +
        '"sequence":1842,"observedAt":"2026-01-17T22:09:57Z"}; each becomes an inventory adjustment, a bad one a dead letter (GET /_sim/device-feed)',
    )
    .option(
      "--mqtt-listen <port>",
      "instead of --mqtt: run an MQTT broker in the simulator on this port of --host (0 for any free port) and take the same feed from it",
    )
    .option(
      "--trace",
      "keep the spans of the latest traces (10,000 spans) in memory: GET /_sim/traces/{traceId} and the console's waterfall show a trace without a collector; OTEL_EXPORTER_OTLP_ENDPOINT exports them as well",
    )
    .option(
      "--trace-url <template>",
      "the console links each order to its trace at this URL, {traceId} standing for the id (default: $ECOM_TRACE_URL), e.g. http://localhost:16686/trace/{traceId} for Jaeger",
    )
    .option(
      "--crash-after <types>",
      "crash testing: kill the process (SIGKILL) right after an event of one of these comma-separated types is logged; restart on the same --data to see every flow resume",
    )
    .option(
      "--store <url>",
      "run the stores on PostgreSQL (postgres://user@host:port/database; default $ECOM_STORE_URL), a schema and a role per context, instead of SQLite files in --data; needs --bus",
    )
    .option(
      "--bus <url>",
      "run the event log and delivery on NATS JetStream (nats://host:port; default $ECOM_BUS_URL) instead of the in-process log; needs --store",
    )
    .option(
      "--namespace <name>",
      "with --store and --bus: what the roles, the stream and its consumers are named from (default $ECOM_NAMESPACE, else the database's name)",
    )
    .action(
      async (options: {
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
      }) => {
        const port = parsePort(options.port);
        const backends = parseBackends(options);
        const simLog = createSimLog({
          level: parseLogLevel(options.logLevel),
          format: parseLogFormat(options.logFormat),
        });
        const seed = options.seed === undefined ? undefined : parseSeed(options.seed);
        const started = performance.now();
        if (options.mqtt !== undefined && options.mqttListen !== undefined)
          throw new UsageError(
            "pass --mqtt <url> (an existing broker) or --mqtt-listen <port> (an embedded one), not both",
          );
        const mqttUrl = options.mqtt === undefined ? undefined : parseMqttUrl(options.mqtt);
        const traceUrl = parseTraceUrl(options.traceUrl ?? process.env.ECOM_TRACE_URL);
        const mqttPort = options.mqttListen === undefined ? undefined : parseMqttPort(options.mqttListen);
        // The ports are checked before the data folder is opened, so a busy port leaves the folder untouched.
        if (port !== 0) await ensurePortFree(port, options.host);
        if (mqttPort !== undefined && mqttPort !== 0) await ensureMqttPortFree(mqttPort, options.host);
        const [{ allContexts, devAccounts }, simulator, { rpcServices }, { restContexts }] = await Promise.all([
          import("@ecom/services"),
          import("@ecom/simulator"),
          import("@ecom/sdk/rpc"),
          import("@ecom/sdk/contracts"),
        ]);
        const { createPlatform, isLoopbackHost } = simulator;
        // On the backends, every context is claimed first, as `ecom serve` claims its own (registry and PostgreSQL
        // locks): an `ecom serve` or `ecom replay` of them is refused while this runs, and a lost claim stops it.
        const names = allContexts.map((context) => context.name);
        const loss = backends ? createClaimLoss({ command: "ecom sim up", contexts: names }) : undefined;
        const claims =
          backends && loss
            ? await simulator.claimContexts({
                connection: backends.busUrl,
                store: backends.storeUrl,
                namespace: simulator.storeNamespace(backends.storeUrl, backends.namespace),
                contexts: names,
                log: simLog.logger,
                onLost: loss.onLost,
              })
            : undefined;
        const platform = await createPlatform({
          contexts: allContexts,
          ...(backends ? { backends } : options.memory ? { memory: true } : { dataDir: resolve(options.data) }),
          ...(seed === undefined ? {} : { seed }),
          ...(options.memory && options.seedSnapshot ? { seedSnapshots: seedSnapshotsDir() } : {}),
          validateResponses: options.validateResponses,
          log: simLog.logger,
          onRequest: simLog.onRequest,
          devAccounts,
          ...(options.crashAfter ? { crashAfter: options.crashAfter.split(",").map((type) => type.trim()) } : {}),
          tracing: { keepSpans: options.trace ? KEPT_SPANS : 0, traceUrl },
        }).catch(async (error: unknown) => {
          await claims?.release();
          throw error;
        });
        let feed: DeviceFeed | undefined;
        // The device feed adjusts stock: it stops with the rest.
        loss?.serving({ halt: async () => void (await Promise.all([feed?.close(), platform.halt()])) });
        let url: string;
        try {
          url = await platform.listen(port, options.host);
          // The registry names where the holder answers, in the refusal of another process.
          await claims?.registration.announce(url);
        } catch (error) {
          if (loss?.lost) throw error;
          await platform.close();
          await claims?.release();
          const code = (error as { code?: string }).code;
          if (code === "EADDRINUSE")
            throw new UsageError(`port ${port} is in use; pass --port <another> (or 0 for any free port)`);
          throw error;
        }
        try {
          feed = await startDeviceFeed(platform, {
            url: mqttUrl,
            listenPort: mqttPort,
            host: options.host,
            log: simLog.logger,
          });
        } catch (error) {
          await platform.close();
          await claims?.release();
          throw new UsageError((error as Error).message);
        }
        const [admin, customer] = await Promise.all([
          devToken(platform.handle, devAccounts.admin.email, devAccounts.admin.password),
          devToken(platform.handle, devAccounts.customer.email, devAccounts.customer.password),
        ]);
        const seconds = ((performance.now() - started) / 1000).toFixed(2);
        const lines = [
          `ecom simulator ready in ${seconds}s — ${allContexts.length} contexts on ${url}`,
          "",
          `  Console     ${url}/  (API and events references, context map, live events, checkout timelines; npx ecom open)`,
          `  Contracts   ${url}/openapi.json  ·  ${url}/asyncapi.json  (every context joined)`,
          `  REST        ${url}/search?q=history  (${restCoverage(
            Object.keys(restContexts),
            allContexts.map((context) => context.name),
          )})`,
          `  Connect     ${url}/ecom.catalog.v1.CatalogService/GetProduct  (Connect, gRPC-web and gRPC; contracts/proto: ${rpcContexts(rpcServices)})`,
          `  GraphQL     ${url}/graphql  (POST {"query":"{ products { title inventory { available } } }"}; contracts/graphql, read-only)`,
          `  Events      ${url}/_sim/events  (SSE, every event; ?types= ?correlationId= ?since=)  ·  ${url}/_sim/log (JSON)`,
          `  Clock       POST ${url}/_sim/clock/advance {"by":"15m"}   Faults  POST ${url}/_sim/faults`,
          `  Settle      POST ${url}/_sim/settle  (answers once every event is delivered and every saga ended; {"timeout":"2m"})`,
          `  Mailbox     ${url}/_sim/mailbox  (the e-mail customers were sent; ?to= ?customerId=; fault {"emailChannelDown":true})`,
          `  SOAP        ${url}/_sim/processor/soap?wsdl  (the payment processor's SOAP interface, asked first; fault {"soapProcessorDown":true})`,
          `  Webhooks    POST ${url}/webhooks/subscriptions  (admin; signed per Standard Webhooks; http only on localhost, 127.0.0.1, [::1])`,
          ...traceLines(url, options.trace === true, traceUrl),
          `  Health      ${url}/healthz  ·  ${url}/metrics (Prometheus)  ·  npx ecom sim status${platform.dataDir ? ` --data ${platform.dataDir}` : ` --url ${url}`}`,
          ...(feed
            ? [
                `  MQTT        ${feed.topics} on ${feed.url} (${feed.embedded ? "embedded broker" : "--mqtt"}; QoS 1) → inventory's stock.adjust; dead letters ${url}/_sim/device-feed`,
              ]
            : []),
          isLoopbackHost(options.host)
            ? "  Access      every /_sim route is open: the port only listens on this machine (loopback)"
            : `  Access      ${options.host} is not loopback: /_sim routes need the admin token, except GET /_sim/clock and GET /_sim/faults`,
          `  Data        ${dataLine(platform.dataDir, backends)}${seed === undefined ? "" : `  ·  seed ${seed}`}`,
          "",
          `  Admin token     (log in as ${devAccounts.admin.email} / ${devAccounts.admin.password})`,
          `    export ECOM_ADMIN_TOKEN=${admin}`,
          `  Customer token  (log in as ${devAccounts.customer.email} / ${devAccounts.customer.password})`,
          `    export ECOM_TOKEN=${customer}`,
          "  Tokens last 15 minutes of platform time; log in again with POST /auth/login.",
          "",
          `  Try: npx ecom checkout --url ${url} --until delivered`,
          `  Stop: Ctrl-C${platform.dataDir ? " (state is kept in the data folder)" : ""}.`,
        ];
        // The handlers go in before the banner: a reader that stops us as soon as it sees the URL (a test, a
        // script) must find them there, even when this process is descheduled right after the write.
        const stopped = new Promise<void>((resolveStop) => {
          const stop = (signal: string) => {
            if (loss?.lost) return;
            process.stdout.write(`\n${signal}: stopping; finishing event delivery and closing stores…\n`);
            resolveStop();
          };
          process.once("SIGINT", () => stop("SIGINT"));
          process.once("SIGTERM", () => stop("SIGTERM"));
        });
        process.stdout.write(`${lines.join("\n")}\n`);
        await stopped;
        await feed?.close();
        // Deliveries stop before the claims go: whoever claims the contexts next starts from settled cursors.
        await platform.close();
        await claims?.release();
        simLog.flush();
        process.stdout.write("stopped cleanly.\n");
      },
    );
}

/**
 * Where the platform runs, from --store/--bus/--namespace or their variables: both or neither, never one alone.
 * --memory, a choice made on the command line, outweighs the variables (a shell that exports them for `ecom serve`
 * still runs a throwaway `sim up --memory`), never the flags.
 */
export function parseBackends(
  options: {
    readonly store?: string;
    readonly bus?: string;
    readonly namespace?: string;
    readonly seed?: string;
    readonly memory?: boolean;
  },
  env: NodeJS.ProcessEnv = process.env,
): { storeUrl: string; busUrl: string; namespace?: string } | undefined {
  if (options.memory) {
    if (options.store !== undefined || options.bus !== undefined)
      throw new UsageError("--memory keeps nothing and --store keeps everything in PostgreSQL: pass one of them");
    env = {};
  }
  const storeUrl = options.store ?? (env.ECOM_STORE_URL || undefined);
  const busUrl = options.bus ?? (env.ECOM_BUS_URL || undefined);
  const namespace = options.namespace ?? (env.ECOM_NAMESPACE || undefined);
  if (storeUrl === undefined && busUrl === undefined) {
    if (options.namespace !== undefined) throw new UsageError("--namespace needs --store and --bus");
    return undefined;
  }
  if (busUrl === undefined)
    throw new UsageError(
      "--store needs --bus nats://host:port (or ECOM_BUS_URL): the embedded event log is a SQLite file",
    );
  if (storeUrl === undefined)
    throw new UsageError(
      "--bus needs --store postgres://… (or ECOM_STORE_URL): the subscribers' cursors live in the stores",
    );
  if (!/^postgres(ql)?:\/\//.test(storeUrl) || !URL.canParse(storeUrl))
    throw new UsageError(`--store takes a postgres://user@host:port/database URL, not ${withoutCredentials(storeUrl)}`);
  if (!/^nats:\/\//.test(busUrl) || !URL.canParse(busUrl))
    throw new UsageError(`--bus takes a nats://host:port URL, not ${withoutCredentials(busUrl)}`);
  if (namespace !== undefined && !/^[a-z0-9_]+$/.test(namespace))
    throw new UsageError(`--namespace takes lower-case letters, digits and _ only, not ${namespace}`);
  // A seeded run's clock and ids start over at every start, and PostgreSQL keeps no saved clock yet: a restart would
  // mint the first run's event ids again, which JetStream drops as repeats.
  if (options.seed !== undefined)
    throw new UsageError(
      "--seed works with --data or --memory only: on --store a restart would reuse the ids of its first run",
    );
  return { storeUrl, busUrl, ...(namespace === undefined ? {} : { namespace }) };
}

/** The banner's Data line. */
function dataLine(dataDir: string | undefined, backends: { storeUrl: string; busUrl: string } | undefined): string {
  if (backends) {
    const store = new URL(backends.storeUrl);
    // Never the password a URL may carry.
    return `PostgreSQL ${store.host}${store.pathname} (a schema per context)  ·  NATS JetStream ${new URL(backends.busUrl).host}`;
  }
  return dataDir ?? "in memory (nothing is kept)";
}

/**
 * What the banner says of REST: every context's contract is served, or which contexts' operations answer 501
 * because no running context implements them (a contract ahead of its code).
 */
export function restCoverage(contracted: readonly string[], running: readonly string[]): string {
  const missing = contracted.filter((name) => !running.includes(name));
  const served = contracted.filter((name) => running.includes(name));
  return missing.length === 0
    ? `contracts/openapi/*.yaml of every context: ${served.join(", ")}`
    : `contracts/openapi/*.yaml of ${served.join(", ")}; the operations of ${missing.join(", ")} answer 501`;
}

/** The contexts whose proto services the generated code holds (`ecom.<context>.v1.…`), for the banner. */
function rpcContexts(services: Readonly<Record<string, unknown>>): string {
  return Object.keys(services)
    .map((name) => name.split(".")[1])
    .join(", ");
}

/** The MQTT feed the simulator runs for `--mqtt` or `--mqtt-listen`, and the embedded broker of the latter. */
interface DeviceFeed {
  readonly url: string;
  readonly topics: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

/** A port from `--mqtt-listen`: 0–65535. */
function parseMqttPort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new UsageError(`--mqtt-listen must be a port from 0 to 65535, got ${value}`);
  return port;
}

async function ensureMqttPortFree(port: number, host: string): Promise<void> {
  try {
    await ensurePortFree(port, host);
  } catch {
    throw new UsageError(`--mqtt-listen: port ${port} of ${host} is taken; pass another (or 0 for any free port)`);
  }
}

/**
 * Start the MQTT feed when asked: connect to `--mqtt`'s broker, or run one on `--mqtt-listen`'s port first. The
 * client id is stable per data folder, so the broker keeps what devices sent while the simulator was stopped.
 */
async function startDeviceFeed(
  platform: { readonly dataDir: string | undefined; readonly feeds: Readonly<Record<string, FeedHandler>> },
  options: { url: string | undefined; listenPort: number | undefined; host: string; log: Logger },
): Promise<DeviceFeed | undefined> {
  if (options.url === undefined && options.listenPort === undefined) return undefined;
  const { startEmbeddedBroker, startMqttFeed } = await import("@ecom/simulator");
  const broker =
    options.listenPort === undefined
      ? undefined
      : await startEmbeddedBroker({ port: options.listenPort, host: options.host });
  const url = broker?.url ?? options.url!;
  const clientId = `ecom-sim-${createHash("sha256")
    .update(platform.dataDir ?? randomUUID())
    .digest("hex")
    .slice(0, 16)}`;
  try {
    const feed = await startMqttFeed({ url, feeds: platform.feeds, log: options.log, clientId });
    return {
      url,
      topics: feed.filters.join(", "),
      embedded: broker !== undefined,
      async close() {
        await feed.close();
        await broker?.close();
      },
    };
  } catch (error) {
    await broker?.close();
    throw error;
  }
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

/** The banner's line on traces, when anything traces. */
function traceLines(url: string, kept: boolean, traceUrl: string | undefined): string[] {
  const otlp = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const where = [
    ...(kept ? [`${url}/_sim/traces/{traceId} (the latest spans, in memory)`] : []),
    ...(otlp ? [`OTLP to ${withoutCredentials(otlp)}`] : []),
    ...(traceUrl ? [`console links to ${traceUrl}`] : []),
  ];
  return kept || otlp ? [`  Traces      ${where.join("  ·  ")}`] : [];
}
