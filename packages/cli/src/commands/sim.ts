import type { Command } from "commander";
import { logFormats, logLevels } from "../request-log.js";
import { seedSnapshotsDir } from "../seed-snapshots-dir.js";
import { registerSimDataCommands } from "./sim-data.js";
import { registerSimExportCommand } from "./sim-export.js";
import { runSimUp } from "./sim-up.js";

/** Register `ecom sim …`: `up` (sim-up.ts), the data folder's commands (sim-data.ts) and `export` (sim-export.ts). */
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
    .action(runSimUp);
}
