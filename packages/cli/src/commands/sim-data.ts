import { resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../exit-codes.js";

/** Register the data folder's commands under `ecom sim`: `reset` (and, beside it, `repair` and `status`). */
export function registerSimDataCommands(sim: Command): void {
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
