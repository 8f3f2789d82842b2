import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inspectStore } from "./data-folder/store-inspection.js";
import { EventLog } from "./event-log.js";

const entry = (eventId: string, occurredAt = "2026-01-18T12:30:00.000Z") => ({
  eventId,
  eventType: "ecommerce.order.order.paid.v1",
  producer: "order",
  correlationId: "chk_1",
  envelope: JSON.stringify({ eventId, eventType: "ecommerce.order.order.paid.v1", occurredAt, payload: { n: "ü" } }),
});

describe("the event log's storage", () => {
  let folder: string;
  let file: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), "ecom-event-log-"));
    file = join(folder, "events.db");
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const stored = () => {
    const database = new Database(file, { readonly: true });
    try {
      return database.prepare("SELECT event_id, envelope FROM event_log ORDER BY seq").all() as {
        event_id: string;
        envelope: string | Buffer;
      }[];
    } finally {
      database.close();
    }
  };

  it("keeps envelopes packed and gives the same text back, after a reopen too", async () => {
    const events = [entry("evt_1"), entry("evt_2")];
    let log = await EventLog.open(file);
    await log.append(events);
    expect((await log.read({ afterSeq: 0 })).map((event) => event.envelope)).toEqual(events.map((e) => e.envelope));
    await log.close();
    for (const row of stored()) expect(Buffer.isBuffer(row.envelope)).toBe(true);
    log = await EventLog.open(file);
    const read = await log.read({ afterSeq: 0, types: ["ecommerce.order.order.paid.v1"], correlationId: "chk_1" });
    expect(read.map((event) => event.envelope)).toEqual(events.map((e) => e.envelope));
    await log.close();
  });

  it("reads rows written before envelopes were packed, and still refuses another event under their id", async () => {
    const old = entry("evt_old", "2026-01-18T12:31:00.000Z");
    let log = await EventLog.open(file);
    await log.close();
    // As a log of an earlier version holds it: the envelope as text.
    const database = new Database(file);
    database
      .prepare(
        "INSERT INTO event_log (event_id, event_type, producer, correlation_id, envelope) VALUES (?, ?, ?, ?, ?)",
      )
      .run(old.eventId, old.eventType, old.producer, old.correlationId, old.envelope);
    database.close();
    log = await EventLog.open(file);
    await log.append([entry("evt_new")]);
    expect((await log.read({ afterSeq: 0 })).map((event) => event.envelope)).toEqual([
      old.envelope,
      entry("evt_new").envelope,
    ]);
    // The same envelope appended again (a relay after a crash) changes nothing; another one under its id is refused.
    expect(await log.append([old])).toEqual([]);
    await expect(
      log.append([{ ...old, envelope: entry("evt_old", "2027-01-01T00:00:00.000Z").envelope }]),
    ).rejects.toThrow(/already in the log/);
    expect(await log.append([entry("evt_new")])).toEqual([]);
    await log.close();
    expect(stored().map((row) => typeof row.envelope)).toEqual(["string", "object"]);
    // The data folder's inspection reads the newest stamps from both kinds of rows.
    expect(inspectStore(file)).toMatchObject({ state: "ok", lastStamped: "2026-01-18T12:31:00.000Z" });
  });
});
