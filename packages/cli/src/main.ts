import { Command, CommanderError } from "commander";
import { registerCheckoutCommand } from "./commands/checkout.js";
import { registerCodegenCommand } from "./commands/codegen.js";
import { registerCompatCommand } from "./commands/compat.js";
import { registerContractsCommand } from "./commands/contracts.js";
import { registerEventsCommand } from "./commands/events.js";
import { registerOpenCommand } from "./commands/open.js";
import { registerReplayCommand } from "./commands/replay.js";
import { registerSimCommand } from "./commands/sim.js";
import { registerVerifyCommand } from "./commands/verify.js";
import { ExitCode, UsageError } from "./exit-codes.js";

/** Build the `ecom` program. Each command group registers itself from its own module under `commands/`. */
export function createProgram(): Command {
  const program = new Command("ecom")
    .description("Contract-first SDK, CLI and local simulator for the ecom commerce platform.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerCodegenCommand(program);
  registerSimCommand(program);
  registerCheckoutCommand(program);
  registerEventsCommand(program);
  registerOpenCommand(program);
  registerCompatCommand(program);
  registerContractsCommand(program);
  registerVerifyCommand(program);
  registerReplayCommand(program);
  return program;
}

/**
 * Run the CLI with `argv` (as `process.argv`) and resolve to its exit code. Usage errors print one line to
 * stderr and give 2; anything unexpected prints its message and gives 2 as well, since it means the command
 * could not do its job.
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  // Commands report their outcome by setting process.exitCode; start each run clean so that in-process callers
  // (tests) running several commands get each one's own code.
  process.exitCode = undefined;
  try {
    await program.parseAsync([...argv]);
    const code = typeof process.exitCode === "number" ? process.exitCode : ExitCode.ok;
    process.exitCode = undefined;
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version arrive here with exit code 0.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`ecom: ${message}\n`);
    if (!(error instanceof UsageError) && process.env.ECOM_DEBUG) {
      process.stderr.write(`${(error as Error).stack ?? ""}\n`);
    }
    // A data folder that is damaged is a problem found (1); a locked or unusable one means the command could not run.
    if (error instanceof Error && error.name === "DataFolderError")
      return (error as { exitCode?: ExitCode }).exitCode ?? ExitCode.usage;
    return ExitCode.usage;
  }
}
