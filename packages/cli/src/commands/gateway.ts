import type { Command } from "commander";
import { UsageError } from "../exit-codes.js";
import { parsePort } from "../options.js";
import { createSimLog, parseLogFormat, parseLogLevel } from "../request-log.js";

/** Register `ecom gateway`. */
export function registerGatewayCommand(program: Command): void {
  program
    .command("gateway")
    .description(
      "Serve the public surface of a platform split over `ecom serve` processes: each REST, Connect, gRPC-web, SSE and " +
        "WebSocket operation goes to the process serving its context (found in the registry in NATS KV); /healthz asks " +
        "every process; /_sim moves the clock and faults of all of them. GraphQL and the console need `ecom sim up`.",
    )
    .option("--bus <url>", "NATS with JetStream: nats://host:port (default $ECOM_BUS_URL)")
    .option(
      "--store <url>",
      "the processes' PostgreSQL URL (default $ECOM_STORE_URL): the gateway reads the service-token key there, to vouch for the client addresses it forwards, and its database names the namespace",
    )
    .option("--namespace <ns>", "the platform's namespace, as its processes were given (default $ECOM_NAMESPACE)")
    .option("--port <port>", "the port to listen on (0 for any free port)", "4000")
    .option("--host <host>", "the address to listen on", "127.0.0.1")
    .action(async (options: { bus?: string; namespace?: string; store?: string; port: string; host: string }) => {
      const busUrl = options.bus ?? (process.env.ECOM_BUS_URL || undefined);
      if (busUrl === undefined || !/^nats:\/\//.test(busUrl) || !URL.canParse(busUrl))
        throw new UsageError("ecom gateway needs --bus nats://host:port (or ECOM_BUS_URL), the NATS its processes use");
      const port = parsePort(options.port);
      const [{ allContexts }, simulator] = await Promise.all([import("@ecom/services"), import("@ecom/simulator")]);
      const given = options.namespace ?? (process.env.ECOM_NAMESPACE || undefined);
      const storeUrl = options.store ?? (process.env.ECOM_STORE_URL || undefined);
      if (given !== undefined && !/^[a-z0-9_]+$/.test(given))
        throw new UsageError(`--namespace takes lower-case letters, digits and _ only, not ${given}`);
      if (storeUrl === undefined || !/^postgres(ql)?:\/\//.test(storeUrl))
        throw new UsageError(
          "ecom gateway needs --store postgres://…/database (or ECOM_STORE_URL), as its processes were given: it reads the platform's service-token key there, which proves to the processes that the client address it forwards is true",
        );
      let namespace: string;
      try {
        namespace = given ?? simulator.storeNamespace(storeUrl);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const serviceTokenKey = await simulator.readServiceTokenKey({
        url: storeUrl,
        ...(given === undefined ? {} : { namespace: given }),
      });
      const simLog = createSimLog({ level: parseLogLevel("info"), format: parseLogFormat("text") });
      let gateway: Awaited<ReturnType<typeof simulator.startGateway>>;
      try {
        gateway = await simulator.startGateway({
          bus: busUrl,
          namespace,
          serviceTokenKey,
          contexts: allContexts.map((module) => module.name),
          port,
          host: options.host,
          log: simLog.logger,
        });
      } catch (error) {
        if ((error as { code?: string }).code === "EADDRINUSE")
          throw new UsageError(`port ${port} is in use; pass --port <another> (or 0 for any free port)`);
        throw error;
      }
      const stopped = new Promise<void>((resolveStop) => {
        const stop = (signal: string) => {
          process.stdout.write(`\n${signal}: stopping the gateway…\n`);
          resolveStop();
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
      const served = gateway.view.claims();
      process.stdout.write(
        `${[
          `ecom gateway on ${gateway.url} — namespace ${namespace}, ${served.length} of ${allContexts.length} contexts served now`,
          `  Health      ${gateway.url}/healthz  (every registered process; degraded while a context has none)`,
          `  Clock       POST ${gateway.url}/_sim/clock/advance {"by":"15m"}   Faults  POST ${gateway.url}/_sim/faults  (every process follows)`,
          `  Settle      POST ${gateway.url}/_sim/settle  (every process settles, in rounds until one publishes nothing more)`,
          "  Start processes with: npx ecom serve --contexts <names> --store … --bus …",
          "  Stop: Ctrl-C.",
        ].join("\n")}\n`,
      );
      await stopped;
      await gateway.close();
      simLog.flush();
      process.stdout.write("stopped cleanly.\n");
    });
}
