import type { Command } from "commander";
import { UsageError } from "../exit-codes.js";
import { parsePort } from "../options.js";
import { createSimLog, parseLogFormat, parseLogLevel } from "../request-log.js";
import { parseBackends } from "./sim.js";

/** Register `ecom serve`. */
export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "Run some of the platform's contexts in this process, on PostgreSQL and NATS JetStream: they register in the " +
        "platform's registry (NATS KV) and call the contexts of other `ecom serve` processes over HTTP with service " +
        "tokens. `ecom gateway` serves the public surface in front of them. An empty database is migrated and seeded.",
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
    .action(
      async (options: {
        contexts: string;
        store?: string;
        bus?: string;
        namespace?: string;
        port: string;
        host: string;
        instance?: string;
        registryTtl: string;
      }) => {
        const backends = parseBackends(options);
        if (!backends)
          throw new UsageError(
            "ecom serve needs --store postgres://… and --bus nats://… (or ECOM_STORE_URL and ECOM_BUS_URL)",
          );
        const port = parsePort(options.port);
        if (options.instance !== undefined && !/^[A-Za-z0-9_-]+$/.test(options.instance))
          throw new UsageError(`--instance takes letters, digits, _ and - only, not ${options.instance}`);
        const [{ allContexts, devAccounts }, simulator] = await Promise.all([
          import("@ecom/services"),
          import("@ecom/simulator"),
        ]);
        const ttlMs = simulator.parseDuration(options.registryTtl);
        if (ttlMs === undefined || ttlMs < 1000)
          throw new UsageError(
            `--registry-ttl takes a duration of at least 1s (like 15s or 2m), not ${options.registryTtl}`,
          );
        const names = [
          ...new Set(
            options.contexts
              .split(",")
              .map((name) => name.trim())
              .filter(Boolean),
          ),
        ];
        const known = allContexts.map((module) => module.name);
        const unknown = names.filter((name) => !known.includes(name));
        if (names.length === 0 || unknown.length > 0)
          throw new UsageError(
            `--contexts takes names among ${known.join(", ")}${unknown.length > 0 ? `; not ${unknown.join(", ")}` : ""}`,
          );
        const namespace = simulator.storeNamespace(backends.storeUrl, backends.namespace);
        const simLog = createSimLog({ level: parseLogLevel("info"), format: parseLogFormat("text") });
        const started = performance.now();
        const joined: { view?: { urlOf(context: string): string | undefined } } = {};
        const platform = await simulator.createPlatform({
          contexts: allContexts.filter((module) => names.includes(module.name)),
          backends: { ...backends, namespace },
          split: { registry: { urlOf: (context) => joined.view?.urlOf(context) } },
          log: simLog.logger,
          onRequest: simLog.onRequest,
          devAccounts,
        });
        let membership: Awaited<ReturnType<typeof simulator.joinCluster>>;
        try {
          const url = await platform.listen(port, options.host);
          membership = await simulator.joinCluster({
            member: platform,
            connection: backends.busUrl,
            namespace,
            contexts: names,
            url,
            ttlMs,
            log: simLog.logger,
            ...(options.instance === undefined ? {} : { instance: options.instance }),
          });
          joined.view = membership.view;
          const seconds = ((performance.now() - started) / 1000).toFixed(2);
          const lines = [
            `ecom serve ready in ${seconds}s — ${names.join(", ")} on ${url}`,
            `  Process     ${membership.registration.processId} in namespace ${namespace} (registry ecom_${namespace}_registry in NATS KV)`,
            `  Gateway     npx ecom gateway --bus ${backends.busUrl} --namespace ${namespace}  (the public surface of every process)`,
            "  Stop: Ctrl-C (its contexts are released at once; a killed process's, after --registry-ttl).",
          ];
          const stopped = new Promise<void>((resolveStop) => {
            const stop = (signal: string) => {
              process.stdout.write(`\n${signal}: stopping; releasing ${names.join(", ")} and closing stores…\n`);
              resolveStop();
            };
            process.once("SIGINT", () => stop("SIGINT"));
            process.once("SIGTERM", () => stop("SIGTERM"));
          });
          process.stdout.write(`${lines.join("\n")}\n`);
          await stopped;
        } catch (error) {
          await platform.close();
          throw error;
        }
        await membership.leave();
        await platform.close();
        simLog.flush();
        process.stdout.write("stopped cleanly.\n");
      },
    );
}
