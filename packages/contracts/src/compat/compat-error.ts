/**
 * Why a comparison could not run. Each code means one thing; the CLI turns every one of them into exit code 2.
 * - `unknown-source`: `--base`/`--head` is neither a folder nor a git ref.
 * - `unreadable-source`: a folder or revision could not be listed or a file in it could not be read.
 * - `unparsable-contract`: a YAML contract or a proto file does not parse.
 * - `buf-failed`: the bundled buf binary is missing or failed for another reason than finding breaking changes.
 */
export type CompatErrorCode = "unknown-source" | "unreadable-source" | "unparsable-contract" | "buf-failed";

/** An error that stops `ecom compat` before it can classify anything; the message names what to fix. */
export class CompatError extends Error {
  override name = "CompatError";
  readonly code: CompatErrorCode;

  constructor(code: CompatErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** True for a {@link CompatError}, also one thrown by another copy of this package. */
export function isCompatError(error: unknown): error is CompatError {
  return error instanceof Error && error.name === "CompatError" && typeof (error as CompatError).code === "string";
}
