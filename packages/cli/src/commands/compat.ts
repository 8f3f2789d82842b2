import {
  type CompatReportFormat,
  type CompatSeverity,
  compareContracts,
  compatReportFormats,
  formatCompatReport,
  isCompatError,
  openContractSource,
  reaches,
} from "@ecom/contracts";
import { type Command, Option } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";

/** Options of `ecom compat`, as commander parses them. */
export interface CompatCommandOptions {
  readonly base: string;
  readonly head?: string;
  readonly format: CompatReportFormat;
  readonly failOn: Extract<CompatSeverity, "breaking" | "warning">;
}

/**
 * `ecom compat`: compare the contracts at `--base` with those at `--head` (default: the working tree's
 * `contracts/`), print the report, and resolve to the exit code: 0 when nothing reaches `--fail-on`, 1 when
 * something does. An unknown ref, an unreadable folder or an unparsable contract throws {@link UsageError} (2).
 */
export async function compatCommand(options: CompatCommandOptions, cwd = process.cwd()): Promise<ExitCode> {
  try {
    const [base, head] = await Promise.all([
      openContractSource(options.base, { cwd }),
      openContractSource(options.head, { cwd }),
    ]);
    const report = await compareContracts({ base: base.files, head: head.files, fileRoot: head.displayRoot });
    process.stdout.write(formatCompatReport(report, options.format, { failOn: options.failOn }));
    return report.findings.some((finding) => reaches(finding.severity, options.failOn)) ? ExitCode.failed : ExitCode.ok;
  } catch (error) {
    if (isCompatError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/** Register `ecom compat`. */
export function registerCompatCommand(program: Command): void {
  program
    .command("compat")
    .description(
      "Compare two versions of the contracts (OpenAPI, AsyncAPI, protobuf, GraphQL, WSDL) and classify every change as breaking, " +
        "warning or info. Exits 0 when nothing reaches --fail-on, 1 when something does, 2 when a side cannot be " +
        "read (unknown ref, missing folder, unparsable contract).",
    )
    .requiredOption(
      "--base <git-ref|dir>",
      "the old contracts: a git ref (read with git, nothing is checked out) or a contracts folder",
    )
    .option("--head <git-ref|dir>", "the new contracts (default: the working tree's contracts/)")
    .addOption(new Option("--format <format>", "report format").choices(compatReportFormats).default("text"))
    .addOption(
      new Option("--fail-on <severity>", "the least severity that fails")
        .choices(["breaking", "warning"])
        .default("breaking"),
    )
    .action(async (options: CompatCommandOptions) => {
      process.exitCode = await compatCommand(options);
    });
}
