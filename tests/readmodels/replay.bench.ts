import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyticsContext } from "@ecom/services";
import { composeSubscriber } from "@ecom/services/platform";
import { createPlatform, EventLog, replayReadModels } from "@ecom/simulator";
import type { Kysely, Transaction } from "kysely";
import { afterAll, bench, describe } from "vitest";
import { migrate, openSqliteStore } from "../../packages/simulator/src/sqlite-store.js";

// `npm run bench`: how fast `ecom replay` rebuilds a read model, next to the bare loop it cannot beat, measured in the
// same run: append the same events to a log and apply the same projection functions, page by page, with nothing
// else (no cursor, no scratch store, no comparison or copy). Each iteration handles EVENTS events; events/s is the
// bench's hz times EVENTS, and the ratio of the two hz is replay's overhead.

const EVENTS = 10_000;
const PAGE = 1_000;
const quiet = { info() {}, warn() {}, error() {} };

/** Order created/paid envelopes for EVENTS / 2 orders of 100 customers over 30 days. */
function envelopes(): {
  eventId: string;
  eventType: string;
  producer: string;
  correlationId: string;
  envelope: string;
}[] {
  const out = [];
  for (let index = 0; index < EVENTS / 2; index++) {
    const orderId = `ord_${index.toString().padStart(26, "0")}`;
    const customerId = `cus_${(index % 100).toString().padStart(26, "0")}`;
    const at = new Date(Date.UTC(2026, 0, 1 + (index % 30), 12)).toISOString();
    const total = { amount: 1000 + (index % 97) * 10, currency: "USD" };
    for (const [type, payload] of [
      [
        "ecommerce.order.order.created.v1",
        { orderId, customerId, total, items: [{ quantity: 1 + (index % 3) }], createdAt: at },
      ],
      ["ecommerce.order.order.paid.v1", { orderId, customerId, total, paidAt: at }],
    ] as const) {
      const eventId = `evt_${type.length}${index.toString().padStart(24, "0")}${type.endsWith("paid.v1") ? "P" : "C"}`;
      const envelope = {
        eventId,
        eventType: type,
        occurredAt: at,
        producer: "order",
        correlationId: orderId,
        schemaVersion: "1.0",
        partitionKey: orderId,
        payload,
      };
      out.push({
        eventId,
        eventType: type,
        producer: "order",
        correlationId: orderId,
        envelope: JSON.stringify(envelope),
      });
    }
  }
  return out;
}

const events = envelopes();
const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "ecom-replay-bench-"));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** A data folder whose analytics store delivered EVENTS events live. */
let replayFolder: Promise<string> | undefined;
async function deliveredFolder(): Promise<string> {
  const dataDir = folder();
  const platform = await createPlatform({ contexts: [analyticsContext], dataDir, seed: 1, log: quiet });
  for (let start = 0; start < events.length; start += PAGE)
    await platform.eventLog.append(events.slice(start, start + PAGE));
  await platform.settle();
  await platform.close();
  return dataDir;
}

describe(`replay of ${EVENTS.toLocaleString("en-US")} order events into analytics`, () => {
  bench(
    "bare loop: append each page to a fresh log, apply the projections to a fresh store",
    async () => {
      const dir = folder();
      const log = await EventLog.open(join(dir, "events.db"));
      const store = openSqliteStore<unknown>(join(dir, "analytics.db"));
      await migrate(store.db as Kysely<unknown>, analyticsContext.migrations, {
        label: "analytics",
        table: "_migrations",
      });
      const handlers = composeSubscriber(analyticsContext.projections ?? [], undefined);
      for (let start = 0; start < events.length; start += PAGE) {
        const page = events.slice(start, start + PAGE);
        await log.append(page);
        await store.db.transaction().execute(async (trx) => {
          for (const event of page)
            await handlers[event.eventType]!(JSON.parse(event.envelope) as never, trx as unknown as Transaction<never>);
        });
      }
      await log.close();
      await store.close();
    },
    { iterations: 3, time: 0 },
  );

  bench(
    "replayReadModels (stream the log in pages into a scratch store, then copy over the live tables)",
    async () => {
      replayFolder ??= deliveredFolder();
      await replayReadModels({ dataDir: await replayFolder, contexts: [analyticsContext] });
    },
    { iterations: 3, time: 0, warmupIterations: 1 },
  );
});
