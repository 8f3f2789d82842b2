import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../exit-codes.js";
import { withoutCredentials } from "../options.js";

/** Register `ecom sim export`: a platform's state as a canonical export, to compare two runs of one scenario. */
export function registerSimExportCommand(sim: Command): void {
  sim
    .command("export")
    .description(
      "Print the platform's state as a canonical export (JSON): per context, the rows that matter (orders and their lines, " +
        "checkouts, payments, charges and refunds, stock and reservations, shipments and returns, reviews and ratings, catalog " +
        "prices, and the read models of search, analytics and notification), sorted, with timestamps, correlation and event " +
        "ids, attempt counts and the payment processor's references left out, every id replaced by its rank within its prefix " +
        "(ord#2) and search's full-text index (its scores) not exported. Two runs of one scenario, on SQLite and on PostgreSQL, " +
        "in one process or split over several, export the same document when they ended in the same state. Reads the data " +
        "folder (default .ecom) or, with --store, the PostgreSQL database; a running platform may be read, once it has settled.",
    )
    .option("--data <dir>", "the data folder to read (default .ecom)")
    .option(
      "--store <url>",
      "read the PostgreSQL database a platform runs on instead (postgres://user@host:port/database)",
    )
    .option(
      "--namespace <name>",
      "with --store: the namespace the platform was started with (default: the database's name)",
    )
    .option("--out <file>", "write the export to a file instead of stdout")
    .action(async (options: { data?: string; store?: string; namespace?: string; out?: string }) => {
      const { exportPlatformState } = await import("@ecom/simulator");
      const exported = await exportPlatformState(stateOf(options));
      const text = `${JSON.stringify(exported, null, 2)}\n`;
      if (options.out === undefined) process.stdout.write(text);
      else writeFileSync(resolve(options.out), text);
    });
}

function stateOf(options: { data?: string; store?: string; namespace?: string }) {
  if (options.store === undefined) {
    if (options.namespace !== undefined) throw new UsageError("--namespace goes with --store");
    return { dataDir: resolve(options.data ?? ".ecom") };
  }
  if (options.data !== undefined) throw new UsageError("--data and --store name two platforms: pass one of them");
  if (!/^postgres(ql)?:\/\//.test(options.store) || !URL.canParse(options.store))
    throw new UsageError(
      `--store takes a postgres://user@host:port/database URL, not ${withoutCredentials(options.store)}`,
    );
  return { storeUrl: options.store, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) };
}
