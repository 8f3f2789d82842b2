import { ServiceError } from "@ecom/services/platform";
import type { SettleAnswer } from "../sim-settle.js";
import type { ProcessEntry } from "./registry.js";

/** The body of the gateway's `POST /_sim/settle` once the split platform settled. */
export interface ClusterSettleAnswer extends SettleAnswer {
  /** How many rounds over every process it took (at least two: the last one is the round that changed nothing). */
  readonly rounds: number;
  /** The ids of the processes the last round settled. */
  readonly processes: readonly string[];
}

/** Rounds after which events that keep producing events are reported rather than waited for. */
const MAX_ROUNDS = 100;

/**
 * The gateway's `POST /_sim/settle`: settle a platform split over processes. Each process settles only its own
 * contexts (`POST <url>/_sim/settle`), and what one delivers may make another publish, so every registered process
 * is asked in turn, in rounds, until a whole round leaves the stream's last sequence where the round before left it:
 * then every event up to it was delivered to every process, and nothing a process did meanwhile published more. The
 * registry is read at every round, so a process that joined meanwhile is settled too. Given `clock` (the sim
 * bucket's), each process first waits until it has applied that time (its advance's ticks run there: expiries,
 * retries), so a settle right after an advance through the gateway sees what it made due. Throws a ServiceError
 * (`unavailable`) when a context of `expected` has no process (its events would wait undelivered), when a process
 * fails to answer or to settle, or when `timeoutMs` runs out (each process is given what is left of it).
 */
export async function settleCluster(options: {
  readonly processes: () => Promise<readonly ProcessEntry[]>;
  /** The contexts the platform should have: settling without one of them would leave its events undelivered. */
  readonly expected: readonly string[];
  readonly timeoutMs: number;
  /** The shared clock every process is to have applied before it settles. */
  readonly clock?: Date;
  readonly fetch?: typeof fetch;
}): Promise<ClusterSettleAnswer> {
  const fetcher = options.fetch ?? fetch;
  // Real time, not the platform's virtual clock: this bounds how long a caller waits.
  const deadline = Date.now() + options.timeoutMs;
  let previous: number | undefined;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const processes = await options.processes();
    if (processes.length === 0)
      throw new ServiceError("unavailable", "No process is registered yet: start them with ecom serve --contexts …");
    const served = new Set(processes.flatMap((entry) => entry.contexts));
    const unserved = options.expected.filter((context) => !served.has(context));
    if (unserved.length > 0)
      throw new ServiceError(
        "unavailable",
        `No process serves ${unserved.join(", ")}: ${unserved.length === 1 ? "its" : "their"} events would wait ` +
          `undelivered. Start one with ecom serve --contexts ${unserved.join(",")}, then settle.`,
      );
    const answers: number[] = [];
    for (const entry of processes) answers.push(await settleOne(entry, deadline, options, fetcher));
    if (previous !== undefined && answers.every((lastSeq) => lastSeq === previous))
      return { lastSeq: previous, rounds: round, processes: processes.map((entry) => entry.id) };
    previous = answers.at(-1);
  }
  throw new ServiceError(
    "unavailable",
    `The split platform did not settle in ${MAX_ROUNDS} rounds: events keep producing events.`,
  );
}

/** `POST <url>/_sim/settle` of one process with what is left of the time (and the clock, if any); its `lastSeq`. */
async function settleOne(
  entry: ProcessEntry,
  deadline: number,
  { timeoutMs, clock }: { readonly timeoutMs: number; readonly clock?: Date },
  fetcher: typeof fetch,
): Promise<number> {
  const left = deadline - Date.now();
  if (left <= 0)
    throw new ServiceError(
      "unavailable",
      `The split platform did not settle within ${Math.round(timeoutMs / 1000)}s: events are still being ` +
        'delivered or a saga is still running (GET /healthz says where). Ask again, or give it longer: {"timeout": "5m"}.',
    );
  let response: Response;
  try {
    response = await fetcher(new URL("/_sim/settle", entry.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ timeout: left, ...(clock ? { clock: clock.toISOString() } : {}) }),
      // The process answers 503 itself when its time is up; this only catches a process that answers nothing.
      signal: AbortSignal.timeout(left + 5_000),
    });
  } catch (error) {
    throw new ServiceError(
      "unavailable",
      `Process ${entry.id} at ${entry.url} did not answer /_sim/settle (${error instanceof Error ? error.message : String(error)}).`,
      {},
      { cause: error },
    );
  }
  const body = (await response.json().catch(() => ({}))) as { lastSeq?: unknown; detail?: unknown };
  if (response.ok && typeof body.lastSeq === "number") return body.lastSeq;
  const said = typeof body.detail === "string" ? body.detail : `status ${response.status}`;
  throw new ServiceError("unavailable", `Process ${entry.id} at ${entry.url} did not settle: ${said}`);
}
