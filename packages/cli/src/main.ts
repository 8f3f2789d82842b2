import { Command, CommanderError } from "commander";
import { ExitCode, UsageError } from "./exit-codes.js";

/**
 * The command groups, each registering itself from its own module under `commands/`. A module is loaded only when
 * its group runs (or for the help of them all), so `ecom sim up` never loads the contract tooling, and start-up
 * does not grow with the number of commands.
 */
const commandGroups: Readonly<Record<string, () => Promise<(program: Command) => void>>> = {
  codegen: async () => (await import("./commands/codegen.js")).registerCodegenCommand,
  sim: async () => (await import("./commands/sim.js")).registerSimCommand,
  checkout: async () => (await import("./commands/checkout.js")).registerCheckoutCommand,
  compat: async () => (await import("./commands/compat.js")).registerCompatCommand,
  contracts: async () => (await import("./commands/contracts.js")).registerContractsCommand,
  verify: async () => (await import("./commands/verify.js")).registerVerifyCommand,
  replay: async () => (await import("./commands/replay.js")).registerReplayCommand,
  events: async () => (await import("./commands/events.js")).registerEventsCommand,
  open: async () => (await import("./commands/open.js")).registerOpenCommand,
  serve: async () => (await import("./commands/serve.js")).registerServeCommand,
  gateway: async () => (await import("./commands/gateway.js")).registerGatewayCommand,
};

/**
 * Build the `ecom` program. With `argv`, only the command group it names is registered when it names one (the
 * others' modules stay unloaded); otherwise, and for the top-level help, every group.
 */
export async function createProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command("ecom")
    .description("Contract-first SDK, CLI and local simulator for the ecom commerce platform.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  const named = argv?.[2];
  const groups = named !== undefined && Object.hasOwn(commandGroups, named) ? [named] : Object.keys(commandGroups);
  const registers = await Promise.all(groups.map((group) => commandGroups[group]!()));
  for (const register of registers) register(program);
  return program;
}

/**
 * Run the CLI with `argv` (as `process.argv`) and resolve to its exit code. Usage errors print one line to
 * stderr and give 2; anything unexpected prints its message and gives 2 as well, since it means the command
 * could not do its job.
 */
export async function run(argv: readonly string[]): Promise<number> {
  const program = await createProgram(argv);
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
