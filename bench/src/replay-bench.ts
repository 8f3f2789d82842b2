import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyticsContext } from "@ecom/services";
import { composeSubscriber } from "@ecom/services/platform";
import { createPlatform, EventLog, replayReadModels } from "@ecom/simulator";
import Database from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { type Figure, median } from "./report.js";

const PAGE = 1_000;
const quiet = { info() {}, warn() {}, error() {} };

interface LogEntry {
  readonly eventId: string;
  readonly eventType: string;
  readonly producer: string;
  readonly correlationId: string;
  readonly envelope: string;
}

/** Order created/paid envelopes for `events / 2` orders of 100 customers over 30 days. */
function orderEvents(events: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let index = 0; index < events / 2; index++) {
    const orderId = `ord_${index.toString().padStart(26, "0")}`;
    const customerId = `cus_${(index % 100).toString().padStart(26, "0")}`;
    const at = new Date(Date.UTC(2026, 0, 1 + (index % 30), 12)).toISOString();
    const total = { amount: 1000 + (index % 97) * 10, currency: "USD" };
    const created = { orderId, customerId, total, items: [{ quantity: 1 + (index % 3) }], createdAt: at };
    const paid = { orderId, customerId, total, paidAt: at };
    for (const [eventType, payload, tag] of [
      ["ecommerce.order.order.created.v1", created, "C"],
      ["ecommerce.order.order.paid.v1", paid, "P"],
    ] as const) {
      const eventId = `evt_${index.toString().padStart(25, "0")}${tag}`;
      const envelope = {
        eventId,
        eventType,
        occurredAt: at,
        producer: "order",
        correlationId: orderId,
        schemaVersion: "1.0",
        partitionKey: orderId,
        payload,
      };
      out.push({ eventId, eventType, producer: "order", correlationId: orderId, envelope: JSON.stringify(envelope) });
    }
  }
  return out;
}

/**
 * The limit: append the events to a fresh log page by page and apply analytics' projection functions to a fresh
 * store in one transaction per page, with nothing else (no cursor, scratch store, comparison or copy). Seconds.
 */
async function bareLoopSeconds(events: readonly LogEntry[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "ecom-bench-replay-bare-"));
  try {
    const started = performance.now();
    const log = await EventLog.open(join(dir, "events.db"));
    const store = new Database(join(dir, "analytics.db"));
    store.pragma("journal_mode = WAL");
    store.pragma("synchronous = NORMAL");
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: store }) });
    await new Migrator({
      db,
      provider: { getMigrations: async () => ({ ...analyticsContext.migrations }) },
    }).migrateToLatest();
    const handlers = composeSubscriber(analyticsContext.projections ?? [], undefined);
    for (let start = 0; start < events.length; start += PAGE) {
      const page = events.slice(start, start + PAGE);
      await log.append(page);
      await db.transaction().execute(async (trx) => {
        for (const event of page) await handlers[event.eventType]!(JSON.parse(event.envelope) as never, trx as never);
      });
    }
    await log.close();
    await db.destroy();
    return (performance.now() - started) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A stopped platform's data folder whose analytics store took `events` live. */
async function deliveredFolder(events: readonly LogEntry[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "ecom-bench-replay-"));
  const platform = await createPlatform({ contexts: [analyticsContext], dataDir: dir, seed: 1, log: quiet });
  for (let start = 0; start < events.length; start += PAGE)
    await platform.bus.publish(events.slice(start, start + PAGE));
  await platform.settle();
  await platform.close();
  return dir;
}

/**
 * `ecom replay` of analytics over `events` order events, beside the bare append+project loop over the same events,
 * medians of `runs` alternating runs, in events per second.
 */
export async function benchReplay(options: { readonly events: number; readonly runs: number }): Promise<Figure[]> {
  const events = orderEvents(options.events);
  const dir = await deliveredFolder(events);
  try {
    const replay: number[] = [];
    const bare: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const started = performance.now();
      await replayReadModels({ dataDir: dir, contexts: [analyticsContext] });
      replay.push(events.length / ((performance.now() - started) / 1000));
      bare.push(events.length / (await bareLoopSeconds(events)));
    }
    const value = median(replay);
    const limit = median(bare);
    return [
      {
        name: `\`ecom replay\` of ${options.events.toLocaleString("en-US")} order events into analytics`,
        value,
        limit,
        unit: "events/s",
        limitName: "append + project loop",
        higherIsBetter: true,
        target: "≥ 50 % of the loop",
        met: value >= 0.5 * limit,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
