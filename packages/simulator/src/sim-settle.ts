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
 * the log, the contexts' background work such as saga runs ended) and answer with the log's last sequence. Given the
 * shared clock of a split platform (the gateway's settle carries it), first wait until this process has applied it
 * (`clockApplied`: its advance ran here, its ticks included), since what that advance made due is part of what is to
 * settle.
 *
 * One settle runs at a time: a request that comes while another settles waits for it and then runs its own, since
 * the one under way may have passed the events this caller just produced. Each request waits at most `timeoutMs`;
 * a settle it stops waiting for goes on (it cannot be cut off half-way), and the next request waits for it. Waiting
 * for the clock comes before that turn, so a clock never applied holds up no other request.
 */
export function createSettleRoute(options: {
  readonly settle: () => Promise<void>;
  readonly lastSeq: () => Promise<number>;
  /** Resolves to true once this process applied the clock up to `time`, to false when `signal` aborts first. */
  readonly clockApplied?: (time: Date, signal: AbortSignal) => Promise<boolean>;
}): (timeoutMs: number, clock?: Date) => Promise<SettleAnswer> {
  let previous: Promise<unknown> = Promise.resolve();
  return async (timeoutMs, clock) => {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    const late = new Promise<"late">((resolve) => deadline.signal.addEventListener("abort", () => resolve("late")));
    try {
      if (clock && options.clockApplied && !(await options.clockApplied(clock, deadline.signal)))
        throw new ServiceError(
          "unavailable",
          `This process did not apply the shared clock's advance to ${clock.toISOString()} within ` +
            `${seconds(timeoutMs)} (GET /healthz says its clock). Ask again, or give it longer: {"timeout": "5m"}.`,
        );
      const settled = previous.then(() => options.settle());
      previous = settled.catch(() => undefined);
      const outcome = await Promise.race([settled.then(() => "settled" as const), late]);
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

/** What a `POST /_sim/settle` body asks: how long to wait, and the shared clock to wait for first (the gateway's). */
export interface SettleRequest {
  readonly timeoutMs: number;
  readonly clock?: Date;
}

/**
 * `{"timeout": "2m"}`, `{"timeout": 120000}` or nothing: how long to wait; `"clock"`, an ISO time, the shared clock
 * of a split platform to wait for first. Undefined if the body says nonsense.
 */
export function settleRequestOf(body: string): SettleRequest | undefined {
  if (body.trim() === "") return { timeoutMs: DEFAULT_SETTLE_TIMEOUT_MS };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const { timeout, clock } = parsed as { timeout?: unknown; clock?: unknown };
  const timeoutMs = timeout === undefined ? DEFAULT_SETTLE_TIMEOUT_MS : parseDuration(timeout);
  if (timeoutMs === undefined || timeoutMs <= 0 || timeoutMs > MAX_SETTLE_TIMEOUT_MS) return undefined;
  if (clock === undefined) return { timeoutMs };
  const time = typeof clock === "string" && ISO_TIME.test(clock) ? new Date(clock) : undefined;
  return time && !Number.isNaN(time.getTime()) ? { timeoutMs, clock: time } : undefined;
}

/** An ISO time as `Date.toISOString()` writes it (what the gateway sends). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** The problem a `POST /_sim/settle` body that {@link settleRequestOf} refuses is answered with. */
export const SETTLE_BODY_HINT =
  'Say how long to wait, at most a day, or nothing for 60s: {"timeout": "2m"} (ms, s, m, h, d).';

const seconds = (milliseconds: number) => (milliseconds % 1000 === 0 ? `${milliseconds / 1000}s` : `${milliseconds}ms`);
