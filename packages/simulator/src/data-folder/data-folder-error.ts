/**
 * Why a data folder cannot be used:
 * - `unusable`: the path itself is wrong (a file, not writable, cannot be made) — the command could not run (exit 2);
 * - `locked`: another live process holds the folder's lock (exit 2);
 * - `damaged`: a store or the event log is missing, emptied, truncated, foreign or behind — the command found a
 *   problem with the user's data (exit 1), and changed nothing.
 */
export type DataFolderErrorCode = "unusable" | "locked" | "damaged";

/** Who holds a data folder's lock, as its lock file says. */
export interface DataFolderHolder {
  readonly pid: number;
  readonly hostname: string;
  /** What the holder is doing: `simulator` (ecom sim up), `replay`, `repair`, `reset`, … */
  readonly purpose: string;
  readonly startedAt: string;
  /** The port it listens on, once it does. */
  readonly port?: number;
  /** The base URL it serves, once it does. */
  readonly url?: string;
}

/** A data folder that cannot be used as it is; the message names the file and says what to do. */
export class DataFolderError extends Error {
  override name = "DataFolderError";

  constructor(
    readonly code: DataFolderErrorCode,
    message: string,
    readonly details: { readonly holder?: DataFolderHolder; readonly problems?: readonly string[] } = {},
  ) {
    super(message);
  }

  /** The `ecom` exit code this error stands for: 1 for damaged data, 2 when the command could not run. */
  get exitCode(): 1 | 2 {
    return this.code === "damaged" ? 1 : 2;
  }
}

/** Whether `error` is a {@link DataFolderError} (by name, so it works across two copies of the package). */
export function isDataFolderError(error: unknown): error is DataFolderError {
  return error instanceof Error && error.name === "DataFolderError";
}
