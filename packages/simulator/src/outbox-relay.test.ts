import { afterEach, describe, expect, it, vi } from "vitest";
import type { OutgoingEvent } from "./bus/event-bus.js";
import { keptId } from "./compact-ids.js";
import { OutboxRelay, outgoingEvent } from "./outbox-relay.js";
import { packedEnvelope } from "./packed-envelope.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "./sqlite-store.js";

const envelope = {
  eventId: "evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31",
  eventType: "ecommerce.order.order.paid.v1",
  occurredAt: "2026-01-18T12:30:00Z",
  producer: "order",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  correlationId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S",
  schemaVersion: "1.0",
  partitionKey: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R",
  payload: { orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R", nested: { payload: 1, producer: "not this one" } },
};
const routing = (text: string) => {
  const { eventType, producer, correlationId, partitionKey } = outgoingEvent("evt_1", text);
  return { eventType, producer, correlationId, partitionKey };
};
const expected = (of: typeof envelope) => ({
  eventType: of.eventType,
  producer: of.producer,
  correlationId: of.correlationId,
  partitionKey: of.partitionKey,
});

describe("outgoingEvent", () => {
  it("reads the routing fields of an envelope as the outbox writes it, and keeps its text as it is", () => {
    const text = JSON.stringify(envelope);
    expect(routing(text)).toEqual(expected(envelope));
    expect(outgoingEvent("evt_1", text).envelope).toBe(text);
  });

  it("is not misled by a client's correlation id that spells the payload key", () => {
    const tricky = { ...envelope, correlationId: 'x","payload":{"producer":"evil"},"y":"' };
    expect(routing(JSON.stringify(tricky))).toEqual(expected(tricky));
  });

  it("reads an envelope laid out otherwise (payload first, or a field that nests one) by parsing it whole", () => {
    const { payload, ...head } = envelope;
    const payloadFirst = JSON.stringify({ payload, ...head });
    expect(routing(payloadFirst)).toEqual(expected(envelope));
    const nestedFirst = JSON.stringify({ extra: { a: 1, payload: 2 }, ...envelope });
    expect(routing(nestedFirst)).toEqual(expected(envelope));
  });
});

describe("the outbox relay", () => {
  let store: SqliteStore<RuntimeTables>;
  afterEach(() => store.close());

  /** A relay on a fresh store, appending to `appended`; `insert` commits an outbox row and gives what it told of. */
  async function setUp() {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await migrate(store.db, runtimeMigrations, { label: "runtime", table: "_migrations" });
    const appended: string[] = [];
    const events: OutgoingEvent[] = [];
    const relay = new OutboxRelay(
      "order",
      store,
      async (moved: readonly OutgoingEvent[]) => {
        for (const event of moved) appended.push(event.eventId);
        events.push(...moved);
      },
      (error) => {
        throw error;
      },
    );
    const insert = async (eventId: string) => {
      const envelope = JSON.stringify({ ...envelope1, eventId });
      const row = await store.db
        .insertInto("_outbox")
        .values({ event_id: eventId, envelope })
        .returning("seq")
        .executeTakeFirstOrThrow();
      return { seq: row.seq, event: outgoingEvent(eventId, envelope) };
    };
    /** Commit an outbox row as the embedded bus's outbox keeps it: packed, its correlation id beside it. */
    const insertPacked = async (eventId: string) => {
      const text = JSON.stringify({ ...envelope1, eventId });
      const packed = packedEnvelope({
        eventId,
        producer: "order",
        correlationId: envelope.correlationId,
        envelope: text,
      });
      await store.db
        .insertInto("_outbox")
        .values({ event_id: eventId, correlation_id: keptId(envelope.correlationId), envelope: packed })
        .execute();
      return { text, packed };
    };
    return { relay, appended, events, insert, insertPacked, reads: vi.spyOn(store, "exclusive") };
  }
  const envelope1 = { ...envelope, eventId: "evt_1" };

  it("moves the rows a publishing transaction told of without reading the outbox, when they follow the last moved", async () => {
    const { relay, appended, insert, reads } = await setUp();
    relay.committed([await insert("evt_1")]);
    await relay.drain();
    relay.committed([await insert("evt_2"), await insert("evt_3")]);
    reads.mockClear();
    await relay.drain();
    expect(appended).toEqual(["evt_1", "evt_2", "evt_3"]);
    expect(reads).not.toHaveBeenCalled();
  });

  it("reads the outbox when a row before those told of was not told of, and moves every row once, in order", async () => {
    const { relay, appended, insert, reads } = await setUp();
    await insert("evt_1");
    const second = await insert("evt_2");
    relay.committed([second]);
    await relay.drain();
    expect(appended).toEqual(["evt_1", "evt_2"]);
    // Told of again after a read moved it (its transaction's hook ran late): not moved twice.
    relay.committed([second]);
    const third = await insert("evt_3");
    await insert("evt_4");
    relay.committed([third]);
    reads.mockClear();
    await relay.drain();
    expect(reads).not.toHaveBeenCalled();
    await relay.drain();
    expect(appended).toEqual(["evt_1", "evt_2", "evt_3", "evt_4"]);
  });

  it("moves rows told of out of order (transactions committed in one group) in order, without reading the outbox", async () => {
    const { relay, appended, insert, reads } = await setUp();
    const first = await insert("evt_1");
    const second = await insert("evt_2");
    relay.committed([second]);
    relay.committed([first]);
    reads.mockClear();
    await relay.drain();
    expect(appended).toEqual(["evt_1", "evt_2"]);
    expect(reads).not.toHaveBeenCalled();
  });

  it("does not read the outbox on a pass a publish asked for when nothing was told of; a drain does", async () => {
    const { relay, appended, insert, reads } = await setUp();
    await insert("evt_1");
    reads.mockClear();
    await relay.flush();
    expect(reads).not.toHaveBeenCalled();
    expect(appended).toEqual([]);
    await relay.drain();
    expect(appended).toEqual(["evt_1"]);
  });

  it("reads back a packed row (one no transaction told of, as after a crash) as its text, handing its bytes on", async () => {
    const { relay, events, insert, insertPacked } = await setUp();
    await insert("evt_1");
    const { text, packed } = await insertPacked("evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z33");
    await relay.drain();
    expect(events.map((event) => event.envelope)).toEqual([JSON.stringify(envelope1), text]);
    expect(events[0]?.packed).toBeUndefined();
    expect(events[1]).toEqual({ ...outgoingEvent("evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z33", text), packed, maybeLogged: true });
  });

  it("keeps the last row it moved when it clears, so a new row is numbered after its mark and still moved", async () => {
    const { relay, appended, insert, reads } = await setUp();
    await insert("evt_1");
    await insert("evt_2");
    await relay.drain();
    await relay.clear();
    expect(await store.db.selectFrom("_outbox").select(["seq", "event_id"]).execute()).toEqual([
      { seq: 2, event_id: "evt_2" },
    ]);
    const third = await insert("evt_3");
    expect(third.seq).toBe(3);
    relay.committed([third]);
    reads.mockClear();
    await relay.drain();
    expect(reads).not.toHaveBeenCalled();
    expect(appended).toEqual(["evt_1", "evt_2", "evt_3"]);
  });
});
