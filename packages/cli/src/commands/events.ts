import type { Command } from "commander";
import { formatTailLine, tailEvents } from "../event-tail.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { parseUrl } from "../options.js";

interface TailCommandOptions {
  url: string;
  types?: string;
  correlationId?: string;
  since?: string;
  count?: string;
  json?: boolean;
}

const wholeNumber = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got ${value}`);
  return Number(value);
};

/** Register `ecom events …`. */
export function registerEventsCommand(program: Command): void {
  const events = program.command("events").description("Watch the platform's events.");
  events
    .command("tail")
    .description(
      "Follow a running simulator's event stream (/_sim/events): one line per event as it is logged (sequence, time, type, " +
        "producer, correlation id, partition key), or one JSON envelope per line with --json. Resumes after a dropped " +
        "connection without missing or repeating an event. Ctrl-C stops it.",
    )
    .option("--url <url>", "the simulator", "http://127.0.0.1:4000")
    .option(
      "--types <list>",
      "only these event types, comma-separated: full (ecommerce.order.order.created.v1) or a part (order.created)",
    )
    .option("--correlation-id <id>", "only the events of one correlation id (a checkout's, say)")
    .option("--since <seq>", "start after this sequence number of the log (0: from the beginning); default: from now")
    .option("--count <n>", "stop after n events")
    .option("--json", "print each event as one JSON object per line")
    .action(async (options: TailCommandOptions) => {
      const url = parseUrl(options.url);
      const since = wholeNumber("--since", options.since);
      const count = wholeNumber("--count", options.count);
      const types = options.types
        ?.split(",")
        .map((type) => type.trim())
        .filter(Boolean);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      let seen = 0;
      try {
        const stream = tailEvents({
          url,
          signal: controller.signal,
          ...(types && types.length > 0 ? { types } : {}),
          ...(options.correlationId ? { correlationId: options.correlationId } : {}),
          ...(since === undefined ? {} : { since }),
          onReconnect: (error) =>
            process.stderr.write(`ecom: the event stream dropped (${(error as Error).message}); resuming…\n`),
        });
        if (count === 0) return;
        for await (const event of stream) {
          process.stdout.write(`${options.json ? JSON.stringify(event) : formatTailLine(event)}\n`);
          if (count !== undefined && ++seen >= count) break;
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        throw new UsageError(
          `cannot follow ${url}/_sim/events (${(error as Error).cause ?? (error as Error).message}); is \`ecom sim up\` running there?`,
        );
      } finally {
        controller.abort();
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      }
      process.exitCode = ExitCode.ok;
    });
}
