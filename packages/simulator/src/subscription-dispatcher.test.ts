import { Code, ConnectError } from "@connectrpc/connect";
import { fail } from "@ecom/services/platform";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UNAVAILABLE_PAUSES_MS } from "./bus/delivery-retry.js";
import { EventLog } from "./event-log.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "./sqlite-store.js";
import { SubscriptionDispatcher } from "./subscription-dispatcher.js";

const quiet = { info() {}, warn() {}, error() {} };

describe("the subscription dispatcher", () => {
  let store: SqliteStore<RuntimeTables>;
  let log: EventLog;
  const pauses: number[] = [];
  let whilePausing: (() => void) | undefined;
  afterEach(async () => {
    pauses.length = 0;
    whilePausing = undefined;
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
      // A pause before an attempt again is recorded, not waited out.
      async (milliseconds) => {
        pauses.push(milliseconds);
        whilePausing?.();
      },
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

  it("tries an event whose handler's callee is unavailable again, with capped backoff, until it goes through", async () => {
    const handled: string[] = [];
    let refusals = 0;
    const dispatcher = await setUp((eventId) => {
      // The context it calls is down: refused seven times (more than the dead letter's attempts), as a context
      // answers and as the transport does.
      if (eventId === "evt_2" && refusals < 7) {
        refusals++;
        throw refusals % 2 === 0
          ? new ConnectError("inventory is down", Code.Unavailable)
          : fail.unavailable("inventory is down");
      }
      handled.push(eventId);
    });
    await dispatcher.drain();
    expect(refusals).toBe(7);
    // The batch's try, then six alone, each after a longer pause up to the cap (as on JetStream).
    expect(pauses).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(UNAVAILABLE_PAUSES_MS.at(-1)).toBe(10_000);
    expect(await deadLetters()).toEqual([]);
    // evt_1 ran in the batch that was undone, then alone.
    expect(handled).toEqual(["evt_1", "evt_1", "evt_2", "evt_3"]);
    expect(await cursor()).toBe(3);
  });

  it("dead-letters after three failures other than unavailable, however many unavailable ones come between", async () => {
    // evt_2's tries, in turn (the batch's first): what the JetStream subscription's test throws too.
    const failures = [
      fail.unavailable("payment is restarting"),
      fail.unavailable("payment is restarting"),
      new Error("first"),
      new ConnectError("No process serves payment", Code.Unavailable),
      new Error("second"),
      new Error("third"),
    ];
    let tries = 0;
    const dispatcher = await setUp((eventId) => {
      if (eventId === "evt_2") throw failures[tries++] ?? new Error("tried once too often");
    });
    await dispatcher.drain();
    expect(tries).toBe(failures.length);
    // An unavailable failure waits its backoff; another is tried again at once (SQLite's one connection: nothing
    // passes with time).
    expect(pauses).toEqual([1_000, 1_000]);
    const dead = await store.db.selectFrom("_dead_letter").select(["event_id", "error"]).execute();
    expect(dead).toEqual([{ event_id: "evt_2", error: "Error: third" }]);
    expect(await cursor()).toBe(3);
  });

  it("stops retrying when it is stopped, leaving the event to the next start", async () => {
    const dispatcher = await setUp(() => {
      throw fail.unavailable("inventory is down");
    });
    // The platform closes during the first pause.
    whilePausing = () => dispatcher.stop();
    await dispatcher.drain();
    expect(pauses).toEqual([1_000]);
    expect(await deadLetters()).toEqual([]);
    expect(await cursor()).toBeUndefined();
  });
});
