import type { Command } from "commander";
import { parseBackends } from "../backend-options.js";
import { createClaimLoss } from "../claim-loss.js";
import { UsageError } from "../exit-codes.js";
import { parsePort, withoutCredentials } from "../options.js";
import { createSimLog, parseLogFormat, parseLogLevel } from "../request-log.js";

/** Register `ecom serve`. */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "Run some of the platform's contexts in this process, on PostgreSQL and NATS JetStream: they register in the " +
        "platform's registry (NATS KV) and call the contexts of other `ecom serve` processes over HTTP with service " +
        "tokens. A context another live process serves is refused before anything of it is touched; a claim lost while " +
        "serving stops the process (exit 1). `ecom gateway` serves the public surface in front of them. An empty " +
        "database is migrated and seeded.",
    )
    .requiredOption("--contexts <names>", "the comma-separated contexts this process serves, e.g. order,payment")
    .option("--store <url>", "PostgreSQL: postgres://user@host:port/database (default $ECOM_STORE_URL)")
    .option("--bus <url>", "NATS with JetStream: nats://host:port (default $ECOM_BUS_URL)")
    .option(
      "--namespace <ns>",
      "what the roles, the stream and the registry are named from (default $ECOM_NAMESPACE, else the database's name)",
    )
    .option("--port <port>", "the port to listen on (0 for any free port)", "0")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .option(
      "--instance <id>",
      "this process's id in the registry: a restart with the same id takes over its own claims at once instead of waiting for them to expire",
    )
    .option(
      "--registry-ttl <duration>",
      "how long a killed process's claims outlive it (the registry bucket's TTL, set by the first process that makes the bucket)",
      "15s",
    )
    .action(async (options: ServeOptions) => serve(await parseServe(options)));
}

interface ServeOptions {
  readonly contexts: string;
  readonly store?: string;
  readonly bus?: string;
  readonly namespace?: string;
  readonly port: string;
  readonly host: string;
  readonly instance?: string;
  readonly registryTtl: string;
}

type Simulator = typeof import("@ecom/simulator");
type Services = typeof import("@ecom/services");

/** What `ecom serve` runs, its options checked. */
interface ServePlan {
  readonly simulator: Simulator;
  readonly services: Services;
  readonly backends: { readonly storeUrl: string; readonly busUrl: string; readonly namespace: string };
  readonly names: readonly string[];
  readonly port: number;
  readonly host: string;
  readonly instance?: string;
  readonly ttlMs: number;
}

async function parseServe(options: ServeOptions): Promise<ServePlan> {
  const backends = parseBackends(options);
  if (!backends)
    throw new UsageError(
      "ecom serve needs --store postgres://… and --bus nats://… (or ECOM_STORE_URL and ECOM_BUS_URL)",
    );
  const port = parsePort(options.port);
  if (options.instance !== undefined && !/^[A-Za-z0-9_-]+$/.test(options.instance))
    throw new UsageError(`--instance takes letters, digits, _ and - only, not ${options.instance}`);
  const [services, simulator] = await Promise.all([import("@ecom/services"), import("@ecom/simulator")]);
  const ttlMs = simulator.parseDuration(options.registryTtl);
  if (ttlMs === undefined || ttlMs < 1000)
    throw new UsageError(`--registry-ttl takes a duration of at least 1s (like 15s or 2m), not ${options.registryTtl}`);
  const names = [
    ...new Set(
      options.contexts
        .split(",")
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  const known = services.allContexts.map((module) => module.name);
  const unknown = names.filter((name) => !known.includes(name));
  if (names.length === 0 || unknown.length > 0)
    throw new UsageError(
      `--contexts takes names among ${known.join(", ")}${unknown.length > 0 ? `; not ${unknown.join(", ")}` : ""}`,
    );
  const namespace = simulator.storeNamespace(backends.storeUrl, backends.namespace);
  return {
    simulator,
    services,
    backends: { ...backends, namespace },
    names,
    port,
    host: options.host,
    ttlMs,
    ...(options.instance === undefined ? {} : { instance: options.instance }),
  };
}

/**
 * Claim the contexts, then start them, then serve until a signal; a claim lost meanwhile stops serving and delivering
 * at once and exits 1, so that two processes never consume one context.
 */
async function serve(plan: ServePlan): Promise<void> {
  const { simulator, backends, names } = plan;
  const simLog = createSimLog({ level: parseLogLevel("info"), format: parseLogFormat("text") });
  const started = performance.now();
  // A loss stops what serves and exits 1, keeping the locks until the process is gone (claim-loss.ts).
  const loss = createClaimLoss({ command: "ecom serve", contexts: names });
  // Claimed first, before any store or consumer of these contexts is touched: a refusal leaves a live holder's
  // deliveries alone (starting a consumer makes its durable anew).
  const claims = await simulator.claimContexts({
    connection: backends.busUrl,
    store: backends.storeUrl,
    namespace: backends.namespace,
    contexts: names,
    ttlMs: plan.ttlMs,
    log: simLog.logger,
    onLost: loss.onLost,
    ...(plan.instance === undefined ? {} : { instance: plan.instance }),
  });
  let platform: Awaited<ReturnType<Simulator["createPlatform"]>>;
  try {
    platform = await simulator.createPlatform({
      contexts: plan.services.allContexts.filter((module) => names.includes(module.name)),
      backends,
      split: { registry: claims.view },
      log: simLog.logger,
      onRequest: simLog.onRequest,
      devAccounts: plan.services.devAccounts,
    });
  } catch (error) {
    await claims.release();
    throw error;
  }
  let membership: Awaited<ReturnType<typeof claims.join>> | undefined;
  const running = platform;
  loss.serving({
    // The shared clock's advances run ticks too: following stops with the rest.
    halt: async () => {
      await Promise.all([membership?.stopFollowing(), running.halt()]);
    },
  });
  try {
    const url = await platform.listen(plan.port, plan.host);
    membership = await claims.join({ member: platform, url });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    process.stdout.write(`${banner(plan, url, seconds, membership.registration.processId).join("\n")}\n`);
    await signalled(() => !loss.lost, names);
  } catch (error) {
    // Unless a claim was lost: then the process exits holding what it still holds (claim-loss.ts).
    if (!loss.lost) {
      await platform.close();
      await claims.release();
    }
    throw error;
  }
  // Deliveries stop (the platform closes) before the claims go: whoever claims the contexts next starts from cursors
  // no delivery of this process moves any more.
  await membership.stopFollowing();
  await platform.close();
  await membership.leave();
  simLog.flush();
  process.stdout.write("stopped cleanly.\n");
}

function banner(plan: ServePlan, url: string, seconds: string, processId: string): string[] {
  const { namespace, busUrl } = plan.backends;
  return [
    `ecom serve ready in ${seconds}s — ${plan.names.join(", ")} on ${url}`,
    `  Process     ${processId} in namespace ${namespace} (registry ecom_${namespace}_registry in NATS KV)`,
    `  Gateway     npx ecom gateway --store <this --store> --bus ${withoutCredentials(busUrl)} --namespace ${namespace}  (the public surface of every process)`,
    "  Stop: Ctrl-C (its contexts are released at once; a killed process's, after --registry-ttl).",
  ];
}

/** Resolve on SIGINT or SIGTERM, unless a lost claim is stopping the process already. */
function signalled(serving: () => boolean, names: readonly string[]): Promise<void> {
  return new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      if (!serving()) return;
      process.stdout.write(`\n${signal}: stopping; releasing ${names.join(", ")} and closing stores…\n`);
      resolveStop();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
