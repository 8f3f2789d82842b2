import { existsSync } from "node:fs";
import { join, normalize, sep } from "node:path";
import {
  ContractSourceError,
  createDirectoryFiles,
  createLintReport,
  formatLintReport,
  type LintReportFormat,
  LintToolError,
  lintContextCode,
  lintContractSet,
  lintReportFormats,
  loadContractSet,
  readContextMap,
  YamlSyntaxError,
} from "@ecom/contracts";
import type { Command } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";

const isFormat = (format: string): format is LintReportFormat =>
  (lintReportFormats as readonly string[]).includes(format);

/** `contracts` as the user typed it, as a prefix for the report's paths: `contracts/`, or nothing for `.`. */
function pathPrefix(dir: string): string {
  const normalized = normalize(dir).split(sep).join("/");
  return normalized === "." ? "" : `${normalized.replace(/\/+$/, "")}/`;
}

/**
 * `ecom contracts lint`: lint the contracts folder and print the report. Resolves to the exit code: 0 without
 * error findings, 1 with; throws {@link UsageError} (exit 2) when the folder or a file cannot be read or parsed.
 */
export async function lintContractsCommand(options: { dir: string; format: string; code?: string }): Promise<ExitCode> {
  const { dir, format } = options;
  // The services' code sits beside the contracts in this repository's layout; elsewhere only --code names it.
  const code =
    options.code ??
    (existsSync(join(dir, "..", "packages/services/src")) ? join(dir, "..", "packages/services/src") : undefined);
  if (options.code !== undefined && !existsSync(options.code))
    throw new UsageError(`--code ${options.code} is not a folder`);
  if (!isFormat(format)) {
    throw new UsageError(`unknown --format '${format}'; use one of ${lintReportFormats.join(", ")}`);
  }
  const prefix = pathPrefix(dir);
  try {
    const set = await loadContractSet(createDirectoryFiles(dir));
    const contractReport = await lintContractSet(set);
    const codeFindings = code && set.contextMap ? await lintContextCode(code, readContextMap(set.contextMap)) : [];
    const codePrefix = pathPrefix(code ?? ".");
    const report = createLintReport([
      ...contractReport.findings.map((finding) => ({ ...finding, file: prefix + finding.file })),
      ...codeFindings.map((finding) => ({ ...finding, file: codePrefix + finding.file })),
    ]);
    process.stdout.write(formatLintReport(report, format));
    return report.summary.errors > 0 ? ExitCode.failed : ExitCode.ok;
  } catch (error) {
    if (error instanceof YamlSyntaxError) {
      const reason = error.message.replace(/^[^:]+:\d+: /, "").replace(/:$/, "");
      throw new UsageError(`${prefix}${error.file}:${error.line}: cannot parse: ${reason}; fix the YAML`);
    }
    if (error instanceof ContractSourceError || error instanceof LintToolError) throw new UsageError(error.message);
    throw error;
  }
}

/** Register `ecom contracts lint`. */
export function registerContractsCommand(program: Command): void {
  const contracts = program.command("contracts").description("Check the contracts, the platform's source of truth.");
  contracts
    .command("lint")
    .description(
      "Lint the contracts: AsyncAPI (@asyncapi/parser), OpenAPI (Redocly), protobuf (buf lint), GraphQL (graphql-js), WSDL, every example " +
        "against its schema, the context map against the contracts and the services' code, and the naming and versioning rules. " +
        "Exits 0 when there is no error, 1 when there is, 2 when the contracts cannot be read.",
    )
    .option("--dir <path>", "the contracts folder, relative to the current directory", "contracts")
    .option("--format <format>", `report format: ${lintReportFormats.join(" or ")}`, "text")
    .option(
      "--code <path>",
      "the services' code, one folder per context, checked against the context map (no import of another context's code, RPC calls only as dependsOn/calls allow); default: ../packages/services/src beside the contracts folder, when present",
    )
    .action(async (options: { dir: string; format: string; code?: string }) => {
      process.exitCode = await lintContractsCommand(options);
    });
}
