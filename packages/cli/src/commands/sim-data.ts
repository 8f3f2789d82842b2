import { resolve } from "node:path";
import type { HealthReport } from "@ecom/simulator";
import type { Command } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";
import { formatHealth, formatRepair } from "../health-format.js";

/** Register the data folder's commands under `ecom sim`: `status`, `repair` and `reset`. */
export function registerSimDataCommands(sim: Command): void {
  sim
    .command("repair")
    .description(
      "Check the data folder as a start would and say what can be rebuilt and what cannot. With --yes, rebuild it: a lost event " +
        "log becomes a new one that continues the numbering, a lost platform store is made anew (the clock resumes where it was), " +
        "a lost store of read models is made anew from the log (search's recorded interactions, which no event carries, are lost " +
        "and said so). A store that lost facts the log and other contexts refer to is reported, never regenerated. " +
        "Exit 0 when the folder can start (after the repair), 1 when something cannot be repaired.",
    )
    .option("--data <dir>", "the data folder", ".ecom")
    .option("--yes", "carry out the rebuilds (without it, only say what would be done)")
    .action(async (options: { data: string; yes?: boolean }) => {
      const [{ allContexts }, { repairDataFolder }] = await Promise.all([
        import("@ecom/services"),
        import("@ecom/simulator"),
      ]);
      const plan = await repairDataFolder({ dir: resolve(options.data), contexts: allContexts, dryRun: !options.yes });
      process.stdout.write(`${formatRepair(plan, options.data)}\n`);
      const pending = plan.cannot.length > 0 || (plan.rebuild.length > 0 && !plan.applied);
      process.exitCode = pending ? ExitCode.failed : ExitCode.ok;
    });
  sim
    .command("status")
    .description(
      "Show how a running simulator is: each context's state, the clock, active faults, circuit breakers and when they reopen, " +
        "subscription lag and dead letters (its /healthz). Finds the simulator through the data folder's lock unless --url is given. " +
        "Exit 0 when all is well, 1 when degraded or when no simulator runs.",
    )
    .option("--data <dir>", "the data folder whose simulator to ask", ".ecom")
    .option("--url <url>", "the simulator's base URL (instead of finding it through --data)")
    .option("--json", "print the /healthz report as JSON")
    .action(async (options: { data: string; url?: string; json?: boolean }) => {
      const { readDataFolderLock } = await import("@ecom/simulator");
      let url = options.url?.replace(/\/+$/, "");
      if (!url) {
        const holder = readDataFolderLock(resolve(options.data));
        if (!holder?.url) {
          process.stdout.write(
            holder
              ? `a simulator (pid ${holder.pid}) holds ${resolve(options.data)} but is not serving yet\n`
              : `no simulator runs on ${resolve(options.data)}; start one with \`ecom sim up --data ${options.data}\`\n`,
          );
          process.exitCode = ExitCode.failed;
          return;
        }
        url = holder.url;
      }
      let response: Response;
      try {
        response = await fetch(`${url}/healthz`);
      } catch (error) {
        throw new UsageError(`cannot reach ${url}/healthz (${(error as Error).cause ?? (error as Error).message})`);
      }
      if (response.status !== 200) throw new UsageError(`${url}/healthz answered ${response.status}`);
      const report = (await response.json()) as HealthReport;
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatHealth(url, report)}\n`);
      process.exitCode = report.status === "ok" ? ExitCode.ok : ExitCode.failed;
    });

  sim
    .command("reset")
    .description(
      "Start the data folder over: delete its stores, event log, manifest and token secret (every issued token stops working). " +
        "Refused while a simulator runs on it. Without --yes, lists what it would delete and changes nothing.",
    )
    .option("--data <dir>", "the data folder", ".ecom")
    .option("--yes", "really delete")
    .action(async (options: { data: string; yes?: boolean }) => {
      const { resetDataFolder } = await import("@ecom/simulator");
      const outcome = resetDataFolder(resolve(options.data), { dryRun: !options.yes });
      if (outcome.files.length === 0) {
        process.stdout.write(`${outcome.dir} holds no ecom data; nothing to reset.\n`);
        return;
      }
      const list = outcome.files.map((file) => `  ${file.name}  (${file.bytes} bytes)`).join("\n");
      if (!outcome.deleted)
        throw new UsageError(
          `ecom sim reset deletes ${outcome.files.length} files of ${outcome.dir} (${outcome.files.map((file) => file.name).join(", ")}); pass --yes to delete them`,
        );
      process.stdout.write(
        `deleted from ${outcome.dir}:\n${list}\nThe next \`ecom sim up --data ${options.data}\` starts afresh.\n`,
      );
    });
}
