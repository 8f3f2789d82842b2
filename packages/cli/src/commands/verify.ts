import { resolve } from "node:path";
import {
  type CompatReportFormat,
  compatReportFormats,
  formatCompatReport,
  isVerifyError,
  reaches,
  verifyImplementation,
} from "@ecom/contracts";
import { type Command, Option } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";
import { parseSeed } from "../options.js";

/** Options of `ecom verify`, as commander parses them. */
export interface VerifyCommandOptions {
  readonly url: string;
  readonly contracts: string;
  readonly context?: string;
  readonly token?: string;
  readonly login?: string;
  readonly format: CompatReportFormat;
  readonly seed?: string;
  readonly maxRequests?: string;
  readonly events?: string | boolean;
  readonly failOn: "failed" | "warning";
}

/** The words verify's report uses for compat's severities. */
const labels = { breaking: "failed", warning: "warning", info: "info" } as const;

function parseLogin(value: string): { email: string; password: string } {
  const colon = value.indexOf(":");
  if (colon <= 0 || colon === value.length - 1)
    throw new UsageError(`--login must be email:password, got ${value.includes(":") ? "an empty part" : value}`);
  return { email: value.slice(0, colon), password: value.slice(colon + 1) };
}

function parseMaxRequests(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--max-requests must be a whole number above 0, got ${value}`);
  return Number(value);
}

/** A progress line on a terminal's stderr, rewritten in place; nothing when stderr is not a terminal. */
function progressLine(): { update: (line: string) => void; clear: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, clear: () => {} };
  const width = () => Math.max(20, (process.stderr.columns ?? 80) - 1);
  return {
    update: (line) => process.stderr.write(`\r\x1b[2K${`ecom verify: ${line}`.slice(0, width())}`),
    clear: () => process.stderr.write("\r\x1b[2K"),
  };
}

/**
 * `ecom verify`: run the contract tests against the implementation at `--url`, print the report, and resolve to
 * the exit code: 0 when nothing reaches `--fail-on`, 1 when something does. Bad options, an unreachable URL or a
 * failed login throw {@link UsageError} (2).
 */
export async function verifyCommand(options: VerifyCommandOptions, cwd = process.cwd()): Promise<ExitCode> {
  if (options.token && options.login) throw new UsageError("give --token or --login, not both");
  const seed = options.seed !== undefined ? parseSeed(options.seed) : Math.floor(Math.random() * 2 ** 32);
  const login = options.login !== undefined ? parseLogin(options.login) : undefined;
  const maxRequests = parseMaxRequests(options.maxRequests);
  const contexts = options.context
    ?.split(",")
    .map((context) => context.trim())
    .filter(Boolean);
  const url = options.url.replace(/\/+$/, "");
  const eventsUrl =
    options.events === undefined || options.events === false
      ? undefined
      : options.events === true
        ? `${url}/_sim/events`
        : options.events;
  const progress = progressLine();
  try {
    const report = await verifyImplementation({
      url,
      contractsDir: resolve(cwd, options.contracts),
      seed,
      ...(contexts ? { contexts } : {}),
      ...(options.token ? { token: options.token } : {}),
      ...(login ? { login } : {}),
      ...(maxRequests !== undefined ? { maxRequests } : {}),
      ...(eventsUrl ? { eventsUrl } : {}),
      fileRoot: `${options.contracts.replace(/\/+$/, "")}/`,
      onProgress: progress.update,
    });
    progress.clear();
    const { stats } = report;
    const note = `(${stats.operations} operations, ${stats.rpcMethods} RPC methods, ${stats.requests} requests${eventsUrl ? `, ${stats.events} events` : ""}; --seed ${seed})`;
    const failOn = options.failOn === "failed" ? "breaking" : "warning";
    process.stdout.write(formatCompatReport(report, options.format, { failOn, tool: "ecom verify", labels, note }));
    return report.findings.some((finding) => reaches(finding.severity, failOn)) ? ExitCode.failed : ExitCode.ok;
  } catch (error) {
    progress.clear();
    if (isVerifyError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/** Register `ecom verify`. */
export function registerVerifyCommand(program: Command): void {
  program
    .command("verify")
    .description(
      "Contract tests against a running implementation (ours or anyone's): every REST operation with valid and " +
        "broken requests, chained so created ids feed later calls; every Connect method (internal-only ones must " +
        "refuse); with --events, every event published meanwhile. Exits 0 when nothing reaches --fail-on, 1 when " +
        "something does, 2 when it cannot run (bad option, unreachable URL, failed login). Operations answering 501 " +
        "are reported as not implemented (a warning), not as passed. It changes state: point it at a throwaway " +
        "simulator (`ecom sim up --memory`) or a test environment.",
    )
    .requiredOption("--url <base>", "base URL of the running implementation, e.g. http://localhost:4000")
    .option("--contracts <dir>", "the contracts folder", "contracts")
    .option("--context <names>", "only these contexts, comma-separated (e.g. cart,catalog)")
    .option("--token <jwt>", "bearer token for secured operations")
    .option("--login <email:password>", "sign in through the contracts' login operation and use its access token")
    .addOption(new Option("--format <format>", "report format").choices(compatReportFormats).default("text"))
    .option("--seed <n>", "seed of every generated value; the report names the one used (default: random)")
    .option("--max-requests <n>", "stop after this many requests (default 5000)")
    .option("--events [url]", "validate every event on this SSE stream while the tests run (default <url>/_sim/events)")
    .addOption(
      new Option("--fail-on <severity>", "the least severity that fails")
        .choices(["failed", "warning"])
        .default("failed"),
    )
    .action(async (options: VerifyCommandOptions) => {
      process.exitCode = await verifyCommand(options);
    });
}
