import { isServiceError, ServiceError } from "@ecom/services/platform";
import { parseDuration } from "./sim-duration.js";

/** How long `POST /_sim/settle` waits for the platform to settle when the request does not say. */
export const DEFAULT_SETTLE_TIMEOUT_MS = 60_000;

/**
 * The longest wait a request may ask for: a day is beyond any settle worth waiting for, and keeps the timer below
 * Node's limit (a longer one fires at once).
 */
export const MAX_SETTLE_TIMEOUT_MS = 86_400_000;

/** What a process answers to `POST /_sim/settle` once it settled. */
export interface SettleAnswer {
  /** The event log's (the stream's) last sequence number once every event up to it was delivered. */
  readonly lastSeq: number;
}

/**
 * `POST /_sim/settle` of one process: run the platform's settle (outboxes relayed, every subscriber caught up with
 * the log, the contexts' background work such as saga runs ended) and answer with the log's last sequence.
 *
 * One settle runs at a time: a request that comes while another settles waits for it and then runs its own, since
 * the one under way may have passed the events this caller just produced. Each request waits at most `timeoutMs`;
 * a settle it stops waiting for goes on (it cannot be cut off half-way), and the next request waits for it.
 */
export function createSettleRoute(options: {
  readonly settle: () => Promise<void>;
  readonly lastSeq: () => Promise<number>;
}): (timeoutMs: number) => Promise<SettleAnswer> {
  let previous: Promise<unknown> = Promise.resolve();
  return async (timeoutMs) => {
    const settled = previous.then(() => options.settle());
    previous = settled.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeoutMs);
    });
    try {
      const outcome = await Promise.race([settled.then(() => "settled" as const), bound]);
      if (outcome === "late")
        throw new ServiceError(
          "unavailable",
          `The platform did not settle within ${seconds(timeoutMs)}: events are still being delivered or a saga is ` +
            'still running (GET /healthz says where). Ask again, or give it longer: {"timeout": "5m"}.',
        );
      return { lastSeq: await options.lastSeq() };
    } catch (error) {
      // settle() gives up when events keep producing events (a loop between contexts): say so, as a 503.
      if (isServiceError(error)) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new ServiceError(
        "unavailable",
        `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`,
        {},
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `{"timeout": "2m"}`, `{"timeout": 120000}` or nothing: how long to wait, or undefined if the body says nonsense. */
export function settleTimeoutOf(body: string): number | undefined {
  if (body.trim() === "") return DEFAULT_SETTLE_TIMEOUT_MS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const { timeout } = parsed as { timeout?: unknown };
  if (timeout === undefined) return DEFAULT_SETTLE_TIMEOUT_MS;
  const milliseconds = parseDuration(timeout);
  return milliseconds !== undefined && milliseconds > 0 && milliseconds <= MAX_SETTLE_TIMEOUT_MS
    ? milliseconds
    : undefined;
}

/** The problem a `POST /_sim/settle` body that {@link settleTimeoutOf} refuses is answered with. */
export const SETTLE_BODY_HINT =
  'Say how long to wait, at most a day, or nothing for 60s: {"timeout": "2m"} (ms, s, m, h, d).';

const seconds = (milliseconds: number) => (milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${milliseconds}ms`);
