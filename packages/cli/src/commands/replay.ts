import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
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

/** A progress line for a terminal: context, bar, counts, events/s and the time left. */
function progressLine(context: string, applied: number, total: number, elapsedMs: number): string {
  const width = 24;
  const share = total === 0 ? 1 : Math.min(1, applied / total);
  const filled = Math.round(share * width);
  const rate = elapsedMs > 0 ? (applied / elapsedMs) * 1000 : 0;
  const eta = rate > 0 ? Math.max(0, (total - applied) / rate) : 0;
  return `${context.padEnd(10)} ${"█".repeat(filled)}${"░".repeat(width - filled)} ${Math.round(share * 100)
    .toString()
    .padStart(3)}%  ${applied.toLocaleString("en-US")}/${total.toLocaleString("en-US")} events  ${Math.round(
    rate,
  ).toLocaleString("en-US")} ev/s  ETA ${eta.toFixed(0)}s`;
}

/**
 * `ecom replay`: rebuild (or with `--verify`, check) the read models of a stopped platform's data folder from its
 * event log. Resolves to the exit code: 0 done or identical, 1 differences found; usage and I/O problems throw
 * {@link UsageError} (exit 2).
 */
export async function replayCommand(options: {
  readonly data: string;
  readonly context?: string | undefined;
  readonly verify?: boolean | undefined;
  readonly json?: boolean | undefined;
}): Promise<ExitCode> {
  const dataDir = resolve(options.data);
  if (!existsSync(dataDir))
    throw new UsageError(`--data ${options.data} does not exist; pass a platform's data folder`);
  const only = options.context
    ?.split(",")
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (options.context !== undefined && only?.length === 0)
    throw new UsageError("--context names no context; pass names like search,review,analytics");
  const [{ allContexts }, { replayReadModels, ReplayError }] = await Promise.all([
    import("@ecom/services"),
    import("@ecom/simulator"),
  ]);
  const tty = process.stderr.isTTY === true && !options.json;
  const started = performance.now();
  let report: Awaited<ReturnType<typeof replayReadModels>>;
  try {
    report = await replayReadModels({
      dataDir,
      contexts: allContexts,
      only,
      verify: options.verify === true,
      onProgress: tty
        ? ({ context, applied, total }) => {
            process.stderr.write(`\r${progressLine(context, applied, total, performance.now() - started)}\u001b[K`);
          }
        : undefined,
    });
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
        "ratings) of a stopped platform's data folder from its event log, with the same projection code the platform " +
        "runs live; --verify rebuilds into a scratch store and compares row by row instead (exit 1 naming each " +
        "differing table and some keys). A lost store is made anew: search's read models are rebuilt and its recorded " +
        "interactions (facts no event carries) reported lost; a lost review or catalog store is refused (its facts are " +
        "referred to by the log: only a backup has them). Refuses a folder a running simulator holds.",
    )
    .option("--data <dir>", "the data folder", ".ecom")
    .option("--context <names>", "only these contexts' read models, comma-separated (search,review,analytics,catalog)")
    .option("--verify", "change nothing: rebuild into a scratch store and compare with the live tables")
    .option("--json", "print the outcome as JSON")
    .action(async (options: { data: string; context?: string; verify?: boolean; json?: boolean }) => {
      process.exitCode = await replayCommand(options);
    });
}
