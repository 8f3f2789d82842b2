import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keptId } from "../compact-ids.js";
import { EventLog } from "../event-log.js";
import { packedEnvelope } from "../packed-envelope.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations } from "../sqlite-store.js";
import { inspectStore, stampIdentity } from "./store-inspection.js";

const event = (eventId: string, occurredAt: string) => ({
  eventId,
  eventType: "ecommerce.order.order.paid.v1",
  producer: "order",
  correlationId: "chk_1",
  envelope: JSON.stringify({ eventId, eventType: "ecommerce.order.order.paid.v1", occurredAt }),
});

describe("a store's inspection", () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), "ecom-inspection-"));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("reads the log's high-water mark and newest stamp, or with marksOnly the mark alone", async () => {
    const file = join(folder, "events.db");
    stampIdentity(file, { folderId: "fld_1", store: "events" });
    const log = await EventLog.open(file);
    await log.append([event("evt_1", "2026-01-18T12:30:00.000Z"), event("evt_2", "2026-01-18T12:31:00.000Z")]);
    await log.close();

    expect(inspectStore(file)).toMatchObject({
      state: "ok",
      identity: { folderId: "fld_1", store: "events" },
      lastSeq: 2,
      lastStamped: "2026-01-18T12:31:00.000Z",
    });
    const marks = inspectStore(file, { marksOnly: true });
    expect(marks).toMatchObject({ state: "ok", lastSeq: 2, schema: { _migrations: expect.any(String) } });
    expect(marks).not.toHaveProperty("lastStamped");
    expect(marks).not.toHaveProperty("identity");
  });

  it("reads a context store's cursor and schema, or with marksOnly those alone (no dead letters, no stamps)", async () => {
    const file = join(folder, "order.db");
    const store = openSqliteStore<RuntimeTables>(file);
    await migrate(store.db as Kysely<unknown>, runtimeMigrations, { label: "order", table: "_migrations_runtime" });
    await store.db.insertInto("_cursor").values({ name: "subscriptions", seq: 7 }).execute();
    await store.db
      .insertInto("_dead_letter")
      .values({ event_id: "evt_1", event_type: "t", error: "e", failed_at: "2026-01-18T12:30:00.000Z" })
      .execute();
    await store.db
      .insertInto("_outbox")
      .values({ event_id: "evt_2", envelope: JSON.stringify({ occurredAt: "2026-01-18T12:32:00.000Z" }) })
      .execute();
    await store.close();

    expect(inspectStore(file)).toMatchObject({
      cursor: 7,
      deadLetters: 1,
      lastStamped: "2026-01-18T12:32:00.000Z",
    });
    const marks = inspectStore(file, { marksOnly: true });
    expect(marks).toMatchObject({
      state: "ok",
      cursor: 7,
      schema: { _migrations_runtime: "0004_outbox_without_autoincrement" },
    });
    expect(marks).not.toHaveProperty("deadLetters");
    expect(marks).not.toHaveProperty("lastStamped");
  });

  it("finds the newest stamp of an outbox that keeps envelopes packed, beside rows written before as text", async () => {
    const file = join(folder, "order.db");
    const store = openSqliteStore<RuntimeTables>(file);
    await migrate(store.db as Kysely<unknown>, runtimeMigrations, { label: "order", table: "_migrations_runtime" });
    const eventId = "evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31";
    const correlationId = "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S";
    const text = JSON.stringify({ eventId, producer: "order", correlationId, occurredAt: "2026-01-18T12:33:00.000Z" });
    await store.db
      .insertInto("_outbox")
      .values([
        { event_id: "evt_1", envelope: JSON.stringify({ occurredAt: "2026-01-18T12:32:00.000Z" }) },
        {
          event_id: eventId,
          correlation_id: keptId(correlationId),
          envelope: packedEnvelope({ eventId, producer: "order", correlationId, envelope: text }),
        },
      ])
      .execute();
    await store.close();

    expect(inspectStore(file)).toMatchObject({ state: "ok", lastStamped: "2026-01-18T12:33:00.000Z" });
  });
});
