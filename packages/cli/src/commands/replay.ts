import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ReplayProgress, ReplayReport } from "@ecom/simulator";
import type { Command } from "commander";
import { parseBackends } from "../backend-options.js";
import { ExitCode, UsageError } from "../exit-codes.js";

/** The replay's outcome as `--json` prints it. */
interface ReplayJson {
  readonly verified: boolean;
  readonly identical: boolean;
  readonly events: number;
  readonly seconds: number;
  readonly contexts: readonly {
    readonly context: string;
    readonly projections: readonly string[];
    readonly tables: readonly string[];
    readonly events: number;
    readonly differences: readonly {
      readonly table: string;
      readonly unexpected: number;
      readonly missing: number;
      readonly keys: readonly string[];
    }[];
    /** Set when the store was lost and made anew; `lostFacts` names its tables of facts no event carries. */
    readonly recreated?: { readonly lostFacts: readonly string[] };
  }[];
}

/**
 * A progress line for a terminal: context, bar, counts, events/s and the time left. The share done is of the events
 * to apply when the log counted them (SQLite), else of the log up to the context's cursor (a stream).
 */
function progressLine(progress: ReplayProgress, elapsedMs: number): string {
  const { context, applied, total, seq, upTo } = progress;
  const width = 24;
  const share = Math.min(1, total === undefined ? (upTo === 0 ? 1 : seq / upTo) : total === 0 ? 1 : applied / total);
  const filled = Math.round(share * width);
  const rate = elapsedMs > 0 ? (applied / elapsedMs) * 1000 : 0;
  const eta = share > 0 ? Math.max(0, (elapsedMs / 1000) * (1 / share - 1)) : 0;
  const counts =
    total === undefined
      ? `${applied.toLocaleString("en-US")} events (log ${seq.toLocaleString("en-US")}/${upTo.toLocaleString("en-US")})`
      : `${applied.toLocaleString("en-US")}/${total.toLocaleString("en-US")} events`;
  return `${context.padEnd(10)} ${"█".repeat(filled)}${"░".repeat(width - filled)} ${Math.round(share * 100)
    .toString()
    .padStart(3)}%  ${counts}  ${Math.round(rate).toLocaleString("en-US")} ev/s  ETA ${eta.toFixed(0)}s`;
}

/** Where `ecom replay` reads: a data folder, or a platform on PostgreSQL and NATS. */
type ReplaySource =
  | { readonly kind: "folder"; readonly dataDir: string }
  | { readonly kind: "backends"; readonly storeUrl: string; readonly busUrl: string; readonly namespace?: string };

/** `--data`, or `--store` + `--bus` (or ECOM_STORE_URL + ECOM_BUS_URL), never both; `.ecom` when none is given. */
function replaySource(options: ReplayCommandOptions): ReplaySource {
  if (options.data !== undefined) {
    if (options.store !== undefined || options.bus !== undefined || options.namespace !== undefined)
      throw new UsageError(
        "--data names a data folder (SQLite) and --store/--bus a platform on PostgreSQL and NATS: pass one of them",
      );
  } else {
    // Absent, not undefined (exactOptionalPropertyTypes): as `sim up` passes its flags.
    const { store, bus, namespace } = options;
    const backends = parseBackends({
      ...(store === undefined ? {} : { store }),
      ...(bus === undefined ? {} : { bus }),
      ...(namespace === undefined ? {} : { namespace }),
    });
    if (backends) return { kind: "backends", ...backends };
  }
  const data = options.data ?? ".ecom";
  const dataDir = resolve(data);
  if (!existsSync(dataDir)) throw new UsageError(`--data ${data} does not exist; pass a platform's data folder`);
  return { kind: "folder", dataDir };
}

/** What `ecom replay` takes. */
interface ReplayCommandOptions {
  readonly data?: string | undefined;
  readonly store?: string | undefined;
  readonly bus?: string | undefined;
  readonly namespace?: string | undefined;
  readonly context?: string | undefined;
  readonly verify?: boolean | undefined;
  readonly json?: boolean | undefined;
}

/**
 * `ecom replay`: rebuild (or with `--verify`, check) the read models of a stopped platform from its event log: a data
 * folder's, or the stream and schemas of a platform on PostgreSQL and NATS JetStream. Resolves to the exit code: 0 done or identical, 1 differences found; usage and I/O problems throw
 * {@link UsageError} (exit 2).
 */
export async function replayCommand(options: ReplayCommandOptions): Promise<ExitCode> {
  const source = replaySource(options);
  const only = options.context
    ?.split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (options.context !== undefined && only?.length === 0)
    throw new UsageError("--context names no context; pass names like search,review,analytics");
  const [{ allContexts }, { replayReadModels, replayBackendReadModels, ReplayError }] = await Promise.all([
    import("@ecom/services"),
    import("@ecom/simulator"),
  ]);
  const tty = process.stderr.isTTY === true && !options.json;
  const started = performance.now();
  let report: ReplayReport;
  try {
    const common = {
      contexts: allContexts,
      only,
      verify: options.verify === true,
      onProgress: tty
        ? (progress: ReplayProgress) => {
            process.stderr.write(`\r${progressLine(progress, performance.now() - started)}\u001b[K`);
          }
        : undefined,
    };
    report =
      source.kind === "folder"
        ? await replayReadModels({ dataDir: source.dataDir, ...common })
        : await replayBackendReadModels({ ...source, ...common });
  } catch (error) {
    if (error instanceof ReplayError) throw new UsageError(error.message);
    throw error;
  } finally {
    if (tty) process.stderr.write("\r\u001b[K");
  }
  const seconds = (performance.now() - started) / 1000;
  const identical = report.contexts.every((context) => context.differences.length === 0);
  if (options.json) {
    const json: ReplayJson = { ...report, identical, seconds: Math.round(seconds * 1000) / 1000 };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    const models = report.contexts.flatMap((context) =>
      context.projections.map((name) => `${context.context}.${name}`),
    );
    const rate = seconds > 0 ? Math.round(report.events / seconds) : report.events;
    const done = report.verified ? (identical ? "identical to a rebuild" : "differ from a rebuild") : "rebuilt";
    process.stdout.write(
      `replay: ${models.length} read models of ${report.contexts.length} contexts ${done} from ${report.events.toLocaleString(
        "en-US",
      )} events in ${seconds.toFixed(2)}s (${rate.toLocaleString("en-US")} events/s): ${models.join(", ")}\n`,
    );
    for (const context of report.contexts) {
      if (!context.recreated) continue;
      const { lostFacts } = context.recreated;
      process.stdout.write(
        lostFacts.length === 0
          ? `  ${context.context}.db was lost: made anew, and all it holds rebuilt from the log\n`
          : `  ${context.context}.db was lost: made anew with its read models rebuilt from the log; lost for good: ${lostFacts.join(", ")} (${context.context}'s own facts, which no event carries: only a backup has them)\n`,
      );
    }
    for (const context of report.contexts)
      for (const difference of context.differences)
        process.stdout.write(
          `  ${context.context}.${difference.table}: ${difference.unexpected} rows not in the rebuild, ${difference.missing} rows of the rebuild missing; e.g. ${difference.keys.join("; ")}\n`,
        );
    if (!identical) process.stdout.write("  run `ecom replay` without --verify to rebuild them\n");
  }
  return identical ? ExitCode.ok : ExitCode.failed;
}

/** Register `ecom replay`. */
export function registerReplayCommand(program: Command): void {
  program
    .command("replay")
    .description(
      "Rebuild the read models (search index and inventory snapshot, review's purchases and rating aggregates, analytics, catalog's product " +
        "ratings) of a stopped platform from its event log, with the same projection code the platform runs live: a data " +
        "folder's (--data, the default) or, with --store and --bus, a platform's on PostgreSQL and NATS JetStream (its " +
        "stream read in order, each event once; each context's tables replaced in one transaction). --verify rebuilds into a scratch store (a file, or a " +
        "schema <context>_replay_<pid>) and compares row by row instead (exit 1 naming each differing table and some " +
        "keys). A lost store in a data folder is made anew: search's read models are rebuilt and its recorded " +
        "interactions (facts no event carries) reported lost; a lost review or catalog store is refused (its facts are " +
        "referred to by the log: only a backup has them). Refuses a folder a running simulator holds, and contexts an " +
        "`ecom serve` or `ecom sim up --store` process serves on PostgreSQL (its lock there, or its claim in the " +
        "registry).",
    )
    .option("--data <dir>", "the data folder (default .ecom)")
    .option("--store <url>", "the platform's PostgreSQL, postgres://user@host:port/database (or ECOM_STORE_URL)")
    .option("--bus <url>", "the platform's NATS JetStream, nats://host:port (or ECOM_BUS_URL)")
    .option("--namespace <name>", "the platform's namespace; the database's name by default (or ECOM_NAMESPACE)")
    .option("--context <names>", "only these contexts' read models, comma-separated (search,review,analytics,catalog)")
    .option("--verify", "change nothing: rebuild into a scratch store and compare with the live tables")
    .option("--json", "print the outcome as JSON")
    .action(async (options: ReplayCommandOptions) => {
      process.exitCode = await replayCommand(options);
    });
}
