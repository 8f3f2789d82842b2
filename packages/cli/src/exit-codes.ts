/** Exit codes of every `ecom` command; each means one thing, so CI can branch on them. */
export const ExitCode = {
  /** The command did what was asked and found nothing wrong. */
  ok: 0,
  /** The command ran and found a problem: a lint error, a breaking change, stale generated code, a failed checkout. */
  failed: 1,
  /** The command could not run: bad arguments, a missing file, an unreadable contract, an unknown git ref. */
  usage: 2,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown by a command for a usage or I/O problem: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
