import { afterEach, describe, expect, it, vi } from "vitest";
import { EventLog } from "./event-log.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "./sqlite-store.js";
import { SubscriptionDispatcher } from "./subscription-dispatcher.js";

const quiet = { info() {}, warn() {}, error() {} };

describe("the subscription dispatcher", () => {
  let store: SqliteStore<RuntimeTables>;
  let log: EventLog;
  afterEach(async () => {
    await store.close();
    await log.close();
  });

  async function setUp(handle: (eventId: string) => void) {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await migrate(store.db, runtimeMigrations, { label: "runtime", table: "_migrations" });
    log = await EventLog.open(":memory:");
    const ids = ["evt_1", "evt_2", "evt_3"];
    await log.append(
      ids.map((eventId) => ({
        eventId,
        eventType: "ecommerce.test.thing.happened.v1",
        producer: "test",
        correlationId: "cor_1",
        envelope: JSON.stringify({ eventId }),
      })),
    );
    return dispatcherOf(handle);
  }
  const dispatcherOf = (handle: (eventId: string) => void) =>
    new SubscriptionDispatcher(
      "subscriber",
      store,
      log,
      { "ecommerce.test.thing.happened.v1": async (message) => handle((message as { eventId: string }).eventId) },
      quiet,
      () => new Date("2026-01-01T00:00:00.000Z"),
    );
  const cursor = async () => (await store.db.selectFrom("_cursor").select("seq").executeTakeFirst())?.seq;
  const deadLetters = async () =>
    (await store.db.selectFrom("_dead_letter").select("event_id").execute()).map((row) => row.event_id);

  it("delivers every pending event in one transaction", async () => {
    const handled: string[] = [];
    const dispatcher = await setUp((eventId) => handled.push(eventId));
    const transaction = vi.spyOn(store.db, "transaction");
    await dispatcher.drain();
    expect(handled).toEqual(["evt_1", "evt_2", "evt_3"]);
    expect(transaction).toHaveBeenCalledOnce();
    expect(await cursor()).toBe(3);
  });

  it("never delivers again what the cursor has passed, after a restart too", async () => {
    const handled: string[] = [];
    await (await setUp((eventId) => handled.push(eventId))).drain();
    await log.append([
      {
        eventId: "evt_4",
        eventType: "ecommerce.test.thing.happened.v1",
        producer: "test",
        correlationId: "cor_1",
        envelope: JSON.stringify({ eventId: "evt_4" }),
      },
    ]);
    // A new dispatcher on the same store, as a restart makes: it reads the cursor the first one left.
    await dispatcherOf((eventId) => handled.push(eventId)).drain();
    expect(handled).toEqual(["evt_1", "evt_2", "evt_3", "evt_4"]);
    expect(await cursor()).toBe(4);
  });

  it("never moves the cursor back: a late writer cannot undo another's move", async () => {
    const late = await setUp(() => undefined);
    await late.drain();
    // Another writer of this subscriber's cursor got further meanwhile (a process that took the context over).
    await store.db.updateTable("_cursor").set({ seq: 10 }).execute();
    await log.append([
      {
        eventId: "evt_4",
        eventType: "ecommerce.test.thing.happened.v1",
        producer: "test",
        correlationId: "cor_1",
        envelope: JSON.stringify({ eventId: "evt_4" }),
      },
    ]);
    // The late one still believes in 3: it delivers evt_4 and writes 4, which does not take the cursor back.
    await late.drain();
    expect(await cursor()).toBe(10);
  });

  it("delivers a batch one event at a time when a handler fails, dead-lettering only that event", async () => {
    const handled: string[] = [];
    const dispatcher = await setUp((eventId) => {
      if (eventId === "evt_2") throw new Error("cannot handle evt_2");
      handled.push(eventId);
    });
    await dispatcher.drain();
    // evt_1 ran in the batch that was undone, then alone; evt_3 never ran in the batch.
    expect(handled).toEqual(["evt_1", "evt_1", "evt_3"]);
    expect(await cursor()).toBe(3);
    expect(await deadLetters()).toEqual(["evt_2"]);
  });
});
