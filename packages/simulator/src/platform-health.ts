import type { BreakerStatus, FaultSwitches } from "@ecom/services/platform";
import type { Kysely } from "kysely";
import type { EventLogReader, Subscription } from "./bus/event-bus.js";
import type { RuntimeTables } from "./sqlite-store.js";
import type { VirtualClock } from "./virtual-clock.js";

/** A circuit breaker as `/healthz` shows it. */
export interface BreakerReport {
  readonly name: string;
  readonly state: "closed" | "open" | "half-open";
  /** When an open breaker lets a trial call through again (virtual clock). */
  readonly reopensAt?: string;
}

/** One context as `/healthz` shows it. */
export interface ContextReport {
  readonly state: "ok" | "degraded";
  /** The log sequence number up to which it has handled events (null when it subscribes to nothing). */
  readonly cursor: number | null;
  /** Events of its types in the log that it has not handled yet (counted up to 1000). */
  readonly lag: number;
  readonly deadLetters: number;
  readonly breakers: readonly BreakerReport[];
  readonly reasons: readonly string[];
}

/** The body of `GET /healthz` (and what `ecom sim status` prints). */
export interface HealthReport {
  /** `ok` only when every context is, no fault is on and no breaker is open; `degraded` otherwise, with reasons. */
  readonly status: "ok" | "degraded";
  readonly reasons: readonly string[];
  /** The virtual clock now. */
  readonly now: string;
  readonly clock: { readonly now: string; readonly frozen: boolean };
  readonly eventLogSeq: number;
  /** The data folder, or null in memory. */
  readonly dataDir: string | null;
  readonly faults: FaultSwitches;
  /** The fault switches that are on. */
  readonly activeFaults: readonly string[];
  readonly contexts: Readonly<Record<string, ContextReport>>;
}

/** What the health report reads of one running context. */
export interface HealthSource {
  readonly name: string;
  readonly db: Kysely<unknown>;
  /** Its delivery from the log, when it subscribes to anything. */
  readonly subscription: Subscription | undefined;
  readonly breakers?: (() => readonly BreakerStatus[]) | undefined;
}

const LAG_LIMIT = 1000;

/**
 * Build the platform's health report from its clock, faults, event log and contexts. Requests that arrive while a
 * report is being built get that report: a burst of probes (a load balancer, a monitor under attack) costs one.
 */
export function createHealthReporter(options: {
  readonly clock: VirtualClock;
  readonly frozen: boolean;
  readonly faults: FaultSwitches;
  readonly eventLog: EventLogReader;
  readonly dataDir: string | undefined;
  readonly contexts: () => readonly HealthSource[];
}): () => Promise<HealthReport> {
  let building: Promise<HealthReport> | undefined;
  const build = async (): Promise<HealthReport> => {
    const now = options.clock.now();
    const activeFaults = Object.entries(options.faults)
      .filter(([, value]) => value !== false && value !== 0)
      .map(([name, value]) => (typeof value === "boolean" ? name : `${name}=${value}`));
    const contexts: Record<string, ContextReport> = {};
    const reasons = activeFaults.map((fault) => `fault ${fault} is on (POST /_sim/faults to switch it off)`);
    for (const source of options.contexts()) {
      const report = await contextReport(source, now);
      contexts[source.name] = report;
      reasons.push(...report.reasons.map((reason) => `${source.name}: ${reason}`));
    }
    return {
      status: reasons.length === 0 ? "ok" : "degraded",
      reasons,
      now: now.toISOString(),
      clock: { now: now.toISOString(), frozen: options.frozen },
      eventLogSeq: await options.eventLog.lastSeq(),
      dataDir: options.dataDir ?? null,
      faults: { ...options.faults },
      activeFaults,
      contexts,
    };
  };
  return () => {
    building ??= build().finally(() => {
      building = undefined;
    });
    return building;
  };
}

async function contextReport(source: HealthSource, now: Date): Promise<ContextReport> {
  const db = source.db as Kysely<RuntimeTables>;
  const reasons: string[] = [];
  let cursor: number | null = null;
  let lag = 0;
  if (source.subscription) {
    const position = await source.subscription.position(LAG_LIMIT);
    cursor = position.cursor;
    lag = position.pending;
    if (lag > 0)
      reasons.push(`${lag === LAG_LIMIT ? `${LAG_LIMIT} or more` : lag} events wait for delivery (past #${cursor})`);
  }
  const dead = await db
    .selectFrom("_dead_letter")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .executeTakeFirst();
  const deadLetters = Number(dead?.count ?? 0);
  if (deadLetters > 0) reasons.push(`${deadLetters} dead-lettered events (handling failed 3 times)`);
  const breakers = (source.breakers?.() ?? []).map((breaker) => {
    const reopensAt =
      breaker.state === "open" ? new Date(now.getTime() + breaker.retryAfterMs).toISOString() : undefined;
    // Half-open lets the next call through as a trial: not refusing anything, so not a reason to be degraded.
    if (breaker.state === "open")
      reasons.push(
        `circuit breaker ${breaker.name} is ${breaker.state}${reopensAt ? ` until ${reopensAt} (virtual clock)` : ""}`,
      );
    return { name: breaker.name, state: breaker.state, ...(reopensAt ? { reopensAt } : {}) };
  });
  return { state: reasons.length === 0 ? "ok" : "degraded", cursor, lag, deadLetters, breakers, reasons };
}
