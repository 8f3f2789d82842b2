import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type Kysely, sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { idHex } from "./compact-ids.js";
import { inspectStore } from "./data-folder/store-inspection.js";
import { EventLog, eventLogMigrations } from "./event-log.js";
import { packedEnvelope } from "./packed-envelope.js";
import { packText } from "./packed-text.js";
import { migrate, openSqliteStore } from "./sqlite-store.js";

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

  it("skips an event read back from an outbox that it holds already, without using up a seq, and writes given bytes", async () => {
    const log = await EventLog.open(file);
    await log.append([entry("evt_1")]);
    const again = { ...entry("evt_1"), maybeLogged: true };
    expect(await log.append([again, { ...entry("evt_2"), maybeLogged: true }])).toMatchObject([{ seq: 2 }]);
    const third = entry("evt_3");
    const packed = packedEnvelope(third);
    expect(await log.append([{ ...third, packed }])).toMatchObject([{ seq: 3, envelope: third.envelope }]);
    await expect(log.append([{ ...entry("evt_1"), envelope: "{}", maybeLogged: true }])).rejects.toThrow(
      /already in the log with another event/,
    );
    await log.close();
    expect(stored().at(-1)?.envelope).toEqual(packed);
  });

  it("packs new envelopes with format 4's dictionary and their trace id, and reads the rows of formats 2 and 3", async () => {
    const formatTwo = entry("evt_format_two", "2026-01-18T12:29:00.000Z");
    const formatThree = entry("evt_format_three", "2026-01-18T12:29:30.000Z");
    let log = await EventLog.open(file);
    await log.append([entry("evt_type")]);
    await log.close();
    // As the log held envelopes before format 4: packed against their ids with format 1's dictionary (format 2),
    // then with the dictionary of whole envelopes (format 3).
    const database = new Database(file);
    const insert = database.prepare(
      "INSERT INTO event_log (event_id, type_code, producer, correlation_id, envelope) VALUES (?, 1, ?, ?, ?)",
    );
    for (const [event, dictionary] of [
      [formatTwo, 1],
      [formatThree, 2],
    ] as const) {
      const context = `{"eventId":"${event.eventId}","producer":"order","correlationId":"chk_1"`;
      insert.run(event.eventId, event.producer, event.correlationId, packText(event.envelope, context, dictionary));
    }
    database.close();
    log = await EventLog.open(file);
    await log.append([entry("evt_after")]);
    await log.close();
    log = await EventLog.open(file);
    expect((await log.read({ afterSeq: 0 })).map((event) => event.envelope)).toEqual(
      [entry("evt_type"), formatTwo, formatThree, entry("evt_after")].map((event) => event.envelope),
    );
    await log.close();
    expect(stored().map((row) => (Buffer.isBuffer(row.envelope) ? row.envelope[0] : "text"))).toEqual([4, 2, 3, 4]);
  });

  it("keeps an event's trace id, when it is its id's bits as the outbox gives it, for a few bytes", async () => {
    const eventId = "evt_01M97S91RSFZY8ZDQ4MYS81Z2S";
    const withTrace = (traceId: string) => ({
      ...entry(eventId),
      envelope: JSON.stringify({ eventId, producer: "order", traceId, correlationId: "chk_1", payload: {} }),
    });
    const own = withTrace(idHex(eventId) ?? "");
    const random = withTrace("9b99f30dad119612605aed1fc007d841");
    const log = await EventLog.open(file);
    await log.append([own]);
    const ownBytes = stored()[0]!.envelope.length;
    await log.close();
    rmSync(folder, { recursive: true, force: true });
    folder = mkdtempSync(join(tmpdir(), "ecom-event-log-"));
    file = join(folder, "events.db");
    const other = await EventLog.open(file);
    await other.append([random]);
    expect((await other.read({ afterSeq: 0 }))[0]?.envelope).toBe(random.envelope);
    await other.close();
    // 32 hex digits of its own cost about 16 bytes packed; the id's own bits, next to nothing.
    expect(ownBytes).toBeLessThan(stored()[0]!.envelope.length - 12);
  });

  it("reads rows written before envelopes were packed, and still refuses another event under their id", async () => {
    const old = entry("evt_old", "2026-01-18T12:31:00.000Z");
    let log = await EventLog.open(file);
    await log.close();
    // As a log of an earlier version holds it: the envelope as text.
    const database = new Database(file);
    database.prepare("INSERT INTO event_types (code, event_type) VALUES (1, ?)").run(old.eventType);
    database
      .prepare("INSERT INTO event_log (event_id, type_code, producer, correlation_id, envelope) VALUES (?, 1, ?, ?, ?)")
      .run(old.eventId, old.producer, old.correlationId, old.envelope);
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

  it("keeps the platform's ids in 19 bytes and packs the envelope against them; other ids as their text", async () => {
    const platformMade = {
      ...entry("evt_01M96T65S2SZJ8Z54TG40HPHAY"),
      correlationId: "chk_01M96T64Z17D8C91NAG16CH9MK",
    };
    const chosen = { ...entry("evt_01M96T65S2SZJ8Z54TG40HPHAZ"), correlationId: "a-client's-correlation-id" };
    let log = await EventLog.open(file);
    await log.append([platformMade, chosen]);
    await log.close();
    const database = new Database(file, { readonly: true });
    try {
      expect(
        database
          .prepare(
            "SELECT typeof(event_id) AS id, length(event_id) AS idLength, typeof(correlation_id) AS correlation FROM event_log ORDER BY seq",
          )
          .all(),
      ).toEqual([
        { id: "blob", idLength: 19, correlation: "blob" },
        { id: "blob", idLength: 19, correlation: "text" },
      ]);
    } finally {
      database.close();
    }
    log = await EventLog.open(file);
    const [read] = await log.read({ afterSeq: 0, correlationId: platformMade.correlationId });
    expect(read).toEqual({ seq: 1, ...platformMade });
    expect((await log.read({ afterSeq: 1, correlationId: chosen.correlationId })).map((e) => e.envelope)).toEqual([
      chosen.envelope,
    ]);
    // Appended again (a relay after a crash): found under its kept id, so skipped; another envelope is refused.
    expect(await log.append([platformMade])).toEqual([]);
    await expect(log.append([{ ...platformMade, envelope: chosen.envelope }])).rejects.toThrow(/already in the log/);
    await log.close();
    expect(inspectStore(file)).toMatchObject({ state: "ok", lastStamped: "2026-01-18T12:30:00.000Z" });
  });

  it("moves the ids of a log written before onto kept ids, so a repeated append still finds its event", async () => {
    const store = openSqliteStore<unknown>(file);
    // The log as the migrations before 0003_compact_ids left it.
    expect(eventLogMigrations["0003_compact_ids"]).toBeDefined();
    const before = Object.fromEntries(Object.entries(eventLogMigrations).filter(([name]) => name < "0003"));
    await migrate(store.db as Kysely<unknown>, before, { label: "the event log", table: "_migrations" });
    const old = { ...entry("evt_01M96T65S2SZJ8Z54TG40HPHAY"), correlationId: "chk_01M96T64Z17D8C91NAG16CH9MK" };
    await sql`insert into event_types (code, event_type) values (1, ${old.eventType})`.execute(store.db);
    await sql`insert into event_log (event_id, type_code, producer, correlation_id, envelope)
      values (${old.eventId}, 1, ${old.producer}, ${old.correlationId}, ${old.envelope})`.execute(store.db);
    await store.close();

    const log = await EventLog.open(file);
    expect(await log.append([old])).toEqual([]);
    expect(await log.read({ afterSeq: 0, correlationId: old.correlationId })).toEqual([{ seq: 1, ...old }]);
    await log.close();
  });

  it("indexes a log written before by type and by correlation id without a second copy of seq, and reads by them", async () => {
    const store = openSqliteStore<unknown>(file);
    expect(eventLogMigrations["0004_indexes_without_seq"]).toBeDefined();
    const before = Object.fromEntries(Object.entries(eventLogMigrations).filter(([name]) => name < "0004"));
    await migrate(store.db as Kysely<unknown>, before, { label: "the event log", table: "_migrations" });
    await store.close();
    let log = await EventLog.open(file);
    await log.append([entry("evt_1"), { ...entry("evt_2"), correlationId: "chk_2" }]);
    await log.close();
    const columns = (index: string) => {
      const database = new Database(file, { readonly: true });
      try {
        return database.prepare(`SELECT name FROM pragma_index_info('${index}')`).pluck().all();
      } finally {
        database.close();
      }
    };
    expect(columns("event_log_by_type")).toEqual(["type_code"]);
    // Since 0006, the index by correlation id keeps an expression of it (its last 8 bytes), which has no column name.
    expect(columns("event_log_by_correlation")).toEqual([null]);
    log = await EventLog.open(file);
    await log.append([entry("evt_3")]);
    const cold = await EventLog.open(file);
    // A log just opened holds no event in memory: these read the indexes.
    const types = ["ecommerce.order.order.paid.v1"];
    expect((await cold.read({ afterSeq: 1, types })).map((event) => event.eventId)).toEqual(["evt_2", "evt_3"]);
    expect((await cold.read({ afterSeq: 0, correlationId: "chk_1" })).map((event) => event.eventId)).toEqual([
      "evt_1",
      "evt_3",
    ]);
    expect(await cold.countAfter({ afterSeq: 1, types, limit: 10 })).toBe(2);
    await cold.close();
    await log.close();
    const database = new Database(file, { readonly: true });
    try {
      const plan = (query: string) =>
        (database.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[]).map((row) => row.detail);
      expect(plan("SELECT * FROM event_log WHERE seq > 1 AND type_code IN (1) ORDER BY seq LIMIT 10")).toEqual([
        expect.stringContaining("USING INDEX event_log_by_type (type_code=? AND rowid>?)"),
      ]);
      expect(
        plan(`SELECT * FROM event_log WHERE seq > 1 AND substr(correlation_id, -8) = substr('chk_1', -8)
          AND correlation_id = 'chk_1' ORDER BY seq LIMIT 10`),
      ).toEqual([expect.stringContaining("USING INDEX event_log_by_correlation (<expr>=? AND rowid>?)")]);
    } finally {
      database.close();
    }
  });

  it("moves a log written with type names onto type codes, numbered as the types first occur", async () => {
    const store = openSqliteStore<unknown>(file);
    const first = { "0001_event_log": eventLogMigrations["0001_event_log"]! };
    await migrate(store.db as Kysely<unknown>, first, { label: "the event log", table: "_migrations" });
    const insert = (eventId: string, eventType: string) =>
      sql`insert into event_log (event_id, event_type, producer, correlation_id, envelope)
        values (${eventId}, ${eventType}, 'order', 'chk_1', ${JSON.stringify({ eventId, eventType })})`.execute(
        store.db,
      );
    await insert("evt_1", "ecommerce.order.order.created.v1");
    await insert("evt_2", "ecommerce.order.order.paid.v1");
    await insert("evt_3", "ecommerce.order.order.created.v1");
    await store.close();

    const log = await EventLog.open(file);
    const paid = await log.read({ afterSeq: 0, types: ["ecommerce.order.order.paid.v1", "not.a.logged.type.v1"] });
    expect(paid.map((event) => event.eventId)).toEqual(["evt_2"]);
    await log.append([{ ...entry("evt_4"), eventType: "ecommerce.order.order.shipped.v1" }]);
    expect((await log.read({ afterSeq: 0 })).map((event) => `${event.eventId} ${event.eventType}`)).toEqual([
      "evt_1 ecommerce.order.order.created.v1",
      "evt_2 ecommerce.order.order.paid.v1",
      "evt_3 ecommerce.order.order.created.v1",
      "evt_4 ecommerce.order.order.shipped.v1",
    ]);
    expect(await log.count({ upToSeq: 4, types: ["ecommerce.order.order.created.v1"] })).toBe(2);
    expect(await log.read({ afterSeq: 0, types: ["not.a.logged.type.v1"] })).toEqual([]);
    await log.close();
    const database = new Database(file, { readonly: true });
    try {
      expect(database.prepare("SELECT code, event_type FROM event_types ORDER BY code").all()).toEqual([
        { code: 1, event_type: "ecommerce.order.order.created.v1" },
        { code: 2, event_type: "ecommerce.order.order.paid.v1" },
        { code: 3, event_type: "ecommerce.order.order.shipped.v1" },
      ]);
      expect(database.prepare("SELECT type_code FROM event_log ORDER BY seq").pluck().all()).toEqual([1, 2, 1, 3]);
    } finally {
      database.close();
    }
  });
  it("keeps a row's producer only when it is not its type's, and reads every row, migrated or not, with its producer", async () => {
    // A log of the code before: migrated up to 0005, the producer's name in its row, none in event_types.
    const store = openSqliteStore<unknown>(file);
    const before = Object.fromEntries(Object.entries(eventLogMigrations).filter(([name]) => name < "0005"));
    await migrate(store.db as Kysely<unknown>, before, { label: "the event log", table: "_migrations" });
    const old = entry("evt_1");
    await sql`insert into event_types (code, event_type) values (1, ${old.eventType})`.execute(store.db);
    await sql`insert into event_log (event_id, type_code, producer, correlation_id, envelope)
      values (${old.eventId}, 1, ${old.producer}, ${old.correlationId}, ${old.envelope})`.execute(store.db);
    await store.close();

    const log = await EventLog.open(file);
    // A command any context may send: the row keeps the name of one that is not its type's first producer.
    await log.append([entry("evt_2"), { ...entry("evt_3"), producer: "payment" }]);
    await log.append([{ ...entry("evt_4"), eventType: "ecommerce.order.order.shipped.v1" }]);
    const read = async () =>
      (await log.read({ afterSeq: 0 })).map((event) => `${event.eventId} ${event.producer} ${event.envelope}`);
    const expected = ["evt_1", "evt_2", "evt_3", "evt_4"].map((id) => {
      const written = id === "evt_3" ? { ...entry(id), producer: "payment" } : entry(id);
      return `${id} ${written.producer} ${written.envelope}`;
    });
    expect(await read()).toEqual(expected);
    // Appended again after a crash: the very same envelopes, skipped.
    expect(await log.append([entry("evt_2"), { ...entry("evt_3"), producer: "payment" }])).toEqual([]);
    await log.close();
    const reopened = await EventLog.open(file);
    expect((await reopened.read({ afterSeq: 0 })).map((event) => event.producer)).toEqual([
      "order",
      "order",
      "payment",
      "order",
    ]);
    await reopened.close();
    const kept = new Database(file, { readonly: true });
    try {
      expect(kept.prepare("SELECT producer FROM event_log ORDER BY seq").pluck().all()).toEqual([
        "order",
        "",
        "payment",
        "",
      ]);
      expect(kept.prepare("SELECT event_type, producer FROM event_types ORDER BY code").all()).toEqual([
        { event_type: "ecommerce.order.order.paid.v1", producer: "order" },
        { event_type: "ecommerce.order.order.shipped.v1", producer: "order" },
      ]);
    } finally {
      kept.close();
    }
    const inspected = inspectStore(file);
    expect(inspected.state).toBe("ok");
    expect(inspected.lastStamped).toBe("2026-01-18T12:30:00.000Z");
  });
});

describe("appending to the event log", () => {
  const event = (eventId: string, occurredAt = "2026-01-18T12:30:00.000Z") => entry(eventId, occurredAt);

  it("writes appends asked for at once in the order they were asked for, each answered with its own events", async () => {
    const log = await EventLog.open(":memory:");
    const told: string[][] = [];
    log.on("appended", (events) => told.push(events.map((logged) => logged.eventId)));
    const [first, second, third] = await Promise.all([
      log.append([event("evt_1"), event("evt_2")]),
      log.append([event("evt_3")]),
      log.append([event("evt_4")]),
    ]);
    expect(first?.map((logged) => logged.eventId)).toEqual(["evt_1", "evt_2"]);
    expect(second?.map((logged) => logged.eventId)).toEqual(["evt_3"]);
    expect(third?.map((logged) => logged.eventId)).toEqual(["evt_4"]);
    expect((await log.read({ afterSeq: 0 })).map((logged) => `${logged.seq}:${logged.eventId}`)).toEqual([
      "1:evt_1",
      "2:evt_2",
      "3:evt_3",
      "4:evt_4",
    ]);
    // Every event is told once, in log order, however the appends were grouped.
    expect(told.flat()).toEqual(["evt_1", "evt_2", "evt_3", "evt_4"]);
    await log.close();
  });

  it("answers a read near its head with the very events a read of its file gives", async () => {
    const folder = mkdtempSync(join(tmpdir(), "ecom-event-log-"));
    const file = join(folder, "events.db");
    try {
      const other = { ...event("evt_0"), eventType: "ecommerce.order.order.shipped.v1" };
      let log = await EventLog.open(file);
      await log.append([event("evt_1"), other]);
      await log.close();
      // Reopened: the two events before are only in the file; those appended now are also in memory.
      log = await EventLog.open(file);
      await log.append([event("evt_2"), { ...other, eventId: "evt_3" }]);
      await log.append([event("evt_4")]);
      const reads = [
        { afterSeq: 0 },
        { afterSeq: 2 },
        { afterSeq: 2, types: ["ecommerce.order.order.paid.v1"] },
        { afterSeq: 2, types: ["ecommerce.order.order.shipped.v1", "ecommerce.order.order.paid.v1"], limit: 2 },
        { afterSeq: 5 },
      ];
      const live = await Promise.all(reads.map((options) => log.read(options)));
      await log.close();
      log = await EventLog.open(file);
      expect(live).toEqual(await Promise.all(reads.map((options) => log.read(options))));
      expect(live[2]?.map((logged) => logged.eventId)).toEqual(["evt_2", "evt_4"]);
      await log.close();
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("fails only the append that is refused when others are asked for at the same time", async () => {
    const log = await EventLog.open(":memory:");
    await log.append([event("evt_1")]);
    const [before, refused, after] = await Promise.allSettled([
      log.append([event("evt_2")]),
      log.append([event("evt_1", "2027-01-01T00:00:00.000Z")]),
      log.append([event("evt_3"), event("evt_1")]),
    ]);
    expect(before).toMatchObject({ status: "fulfilled", value: [{ eventId: "evt_2" }] });
    expect(refused).toMatchObject({
      status: "rejected",
      reason: { message: expect.stringMatching(/already in the log/) },
    });
    // evt_1 again with the very same envelope is a repeat, skipped.
    expect(after).toMatchObject({ status: "fulfilled", value: [{ eventId: "evt_3" }] });
    expect((await log.read({ afterSeq: 0 })).map((logged) => logged.eventId)).toEqual(["evt_1", "evt_2", "evt_3"]);
    await log.close();
  });
});
