import { Code, ConnectError } from "@connectrpc/connect";
import { fail, type MessageHandler } from "@ecom/services/platform";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Kysely, sql } from "kysely";
import { afterAll, afterEach, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createCondition } from "../../../../tests/backends/condition.js";
import { createTestNamespace, dropNamespace } from "../../../../tests/backends/nats-namespace.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "../sqlite-store.js";
import { UNAVAILABLE_PAUSES_MS } from "./delivery-retry.js";
import type { OutgoingEvent, Subscription } from "./event-bus.js";
import { connectJetStreamBus, type JetStreamBus } from "./jetstream-bus.js";
import { RETRY_PAUSES_MS } from "./jetstream-subscription.js";

const quiet = { info() {}, warn() {}, error() {} };
const THING = "ecommerce.test.thing.happened.v1";
const OTHER = "ecommerce.test.other.happened.v1";

type Tables = RuntimeTables & { applied: { event_id: string; aggregate: string; n: number } };

// On the machine's NATS (tests/backends: skipped with the run's one line when it does not answer, a failure when
// ECOM_BACKENDS_REQUIRED=1), each bus in a namespace of its own whose streams are deleted after the file.
describePostgresNats("the event bus on JetStream", ({ busUrl }) => {
  const namespaces: string[] = [];
  const buses: JetStreamBus[] = [];
  const stores: SqliteStore<Tables>[] = [];
  const pauses: number[] = [];

  afterEach(async () => {
    pauses.length = 0;
    for (const bus of buses.splice(0)) await bus.close();
    for (const store of stores.splice(0)) await store.close();
  });
  afterAll(async () => {
    for (const namespace of namespaces) await dropNamespace(namespace);
  });

  async function busOf(namespace = createTestNamespace().name): Promise<JetStreamBus> {
    if (!namespaces.includes(namespace)) namespaces.push(namespace);
    // A failing handler's pauses are recorded, not waited out.
    const bus = await connectJetStreamBus({
      url: busUrl,
      namespace,
      logger: quiet,
      pause: async (milliseconds) => {
        pauses.push(milliseconds);
      },
    });
    buses.push(bus);
    return bus;
  }

  /** A subscriber's store: the runtime tables and one table its handler writes. */
  async function storeOf(): Promise<SqliteStore<Tables>> {
    const store = openSqliteStore<Tables>(":memory:");
    await migrate(store.db as Kysely<unknown>, runtimeMigrations, { label: "runtime", table: "_migrations_runtime" });
    await store.db.schema
      .createTable("applied")
      .addColumn("event_id", "text", (column) => column.primaryKey())
      .addColumn("aggregate", "text", (column) => column.notNull())
      .addColumn("n", "integer", (column) => column.notNull())
      .execute();
    stores.push(store);
    return store;
  }

  /** `count` events over aggregates a, b, c in turn, numbered 1… within each aggregate. */
  function events(count: number, prefix = "evt"): OutgoingEvent[] {
    const made: OutgoingEvent[] = [];
    const perAggregate: Record<string, number> = {};
    for (let index = 0; index < count; index++) {
      const aggregate = `agg_${"abc"[index % 3]}`;
      const n = (perAggregate[aggregate] ?? 0) + 1;
      perAggregate[aggregate] = n;
      const eventId = `${prefix}_${String(index + 1).padStart(3, "0")}`;
      made.push({
        eventId,
        eventType: THING,
        producer: "test",
        correlationId: `cor_${aggregate}`,
        partitionKey: aggregate,
        envelope: JSON.stringify({
          eventId,
          eventType: THING,
          producer: "test",
          correlationId: `cor_${aggregate}`,
          partitionKey: aggregate,
          payload: { n },
        }),
      });
    }
    return made;
  }

  /** A handler that records each event in `applied`, in the delivery's transaction. */
  const applying: MessageHandler<never, never> = async (message, trx) => {
    const { eventId, partitionKey, payload } = message as unknown as {
      eventId: string;
      partitionKey: string;
      payload: { n: number };
    };
    await (trx as unknown as Kysely<Tables>)
      .insertInto("applied")
      .values({ event_id: eventId, aggregate: partitionKey, n: payload.n })
      .execute();
  };

  async function subscribe(
    bus: JetStreamBus,
    store: SqliteStore<Tables>,
    handler: MessageHandler<never, never> = applying,
    logger = quiet,
  ): Promise<Subscription> {
    const subscription = await bus.subscribe({
      subscriber: "subscriber",
      store: { db: store.db as unknown as Kysely<RuntimeTables> },
      handlers: { [THING]: handler },
      logger,
      now: () => new Date("2026-01-01T00:00:00.000Z"),
    });
    subscription.kick();
    return subscription;
  }

  const applied = async (store: SqliteStore<Tables>) =>
    store.db.selectFrom("applied").select(["event_id", "aggregate", "n"]).orderBy(sql`rowid`).execute();

  /** Each aggregate's numbers in the order they were applied. */
  const perAggregate = (rows: readonly { aggregate: string; n: number }[]) => {
    const orders: Record<string, number[]> = {};
    for (const row of rows) orders[row.aggregate] = [...(orders[row.aggregate] ?? []), row.n];
    return orders;
  };

  async function outbox(store: SqliteStore<Tables>, rows: readonly OutgoingEvent[]) {
    for (const row of rows) {
      await store.db.insertInto("_outbox").values({ event_id: row.eventId, envelope: row.envelope }).execute();
    }
  }

  it("stores a message id once: a relay that crashed after publishing and before deleting publishes again harmlessly", async () => {
    const bus = await busOf();
    const producer = await storeOf();
    const sent = events(6);
    await outbox(producer, sent);
    // The crashed relay's publishes: on the stream, still in the outbox.
    await bus.publish(sent.slice(0, 4));
    const relay = bus.relay({ producer: "test", store: { db: producer.db as never }, onError: quiet.error });
    await relay.drain();
    relay.stop();

    expect(await relay.waiting()).toBe(0);
    expect(await bus.lastSeq()).toBe(6);
    const logged = await bus.read({ afterSeq: 0 });
    expect(logged.map((event) => [event.seq, event.eventId])).toEqual(
      sent.map((event, index) => [index + 1, event.eventId]),
    );
    expect(logged.map((event) => event.envelope)).toEqual(sent.map((event) => event.envelope));
  });

  it("delivers each aggregate's events in their order, in transactions that move the cursor", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const subscription = await subscribe(bus, store);
    await bus.publish(events(30));
    await subscription.idle();

    const rows = await applied(store);
    expect(rows).toHaveLength(30);
    expect(perAggregate(rows)).toEqual({
      agg_a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      agg_b: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      agg_c: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    });
    expect(await subscription.position(1000)).toEqual({ cursor: 30, pending: 0 });
    const cursor = await store.db.selectFrom("_cursor").select("seq").executeTakeFirst();
    expect(cursor?.seq).toBe(30);
  });

  it("gives a consumer that died before its ack the messages again, and the cursor makes them change nothing", async () => {
    const bus = await busOf();
    const store = await storeOf();
    await bus.publish(events(10));
    let first: Subscription | undefined;
    // The process dies while handling the tenth: its transaction commits, its acks never go out.
    first = await subscribe(bus, store, async (message, trx) => {
      await applying(message, trx);
      if ((message as unknown as { eventId: string }).eventId === "evt_010") first?.stop();
    });
    // Stopped, idle once the delivery under way (the tenth's) committed.
    await first.idle();
    expect((await first.position(1)).cursor).toBe(10);
    const durable = bus.names.consumer("subscriber");
    const floor = (await bus.manager.consumers.info(bus.names.stream, durable)).ack_floor.stream_seq;
    expect(floor).toBeLessThan(10);
    await bus.close();

    // The restart, on a connection of its own.
    const restarted = await busOf(bus.names.namespace);
    const second = await subscribe(restarted, store);
    await restarted.publish(events(13).slice(10));
    await second.idle();

    const info = await restarted.manager.consumers.info(restarted.names.stream, durable);
    // Made anew past the ack floor: the committed, unacked messages came again and were acked this time.
    expect(info.config.opt_start_seq).toBe(floor + 1);
    expect(info.ack_floor.stream_seq).toBe(13);
    const rows = await applied(store);
    expect(rows.map((row) => row.event_id)).toEqual(events(13).map((event) => event.eventId));
  });

  it("after a restart delivers what a dead consumer had pulled first and in order, not after newer messages", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const first = await subscribe(bus, store);
    const all = events(20);
    await bus.publish(all.slice(0, 7));
    await first.idle();
    await bus.close();
    const publisher = await busOf(bus.names.namespace);
    await publisher.publish(all.slice(7));

    // A process that pulled 8…14 from the durable and died without acking them.
    const raw = await connect({ servers: busUrl });
    const consumer = await jetstream(raw).consumers.get(bus.names.stream, bus.names.consumer("subscriber"));
    // The fetch ends as soon as the seven are in; its expiry only bounds a failure.
    const pulled = await consumer.fetch({ max_messages: 7, expires: 60_000 });
    const seqs: number[] = [];
    for await (const message of pulled) seqs.push(message.seq);
    await raw.close();
    expect(seqs).toEqual([8, 9, 10, 11, 12, 13, 14]);

    const restarted = await busOf(bus.names.namespace);
    const second = await subscribe(restarted, store);
    await second.idle();
    const rows = await applied(store);
    expect(rows.map((row) => row.event_id)).toEqual(all.map((event) => event.eventId));
    expect(perAggregate(rows).agg_a).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("handles an event once when the stream holds it twice (a repeat published after the duplicate window)", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const subscription = await subscribe(bus, store);
    const [once, next] = events(2);
    await bus.publish([once!]);
    // What a relay publishing the row again after the window makes: the same event under a new sequence number.
    await jetstream(bus.connection).publish(bus.names.subject(THING, "agg_a"), once!.envelope);
    await bus.publish([next!]);
    await subscription.idle();

    expect(await bus.lastSeq()).toBe(3);
    expect((await applied(store)).map((row) => row.event_id)).toEqual([once!.eventId, next!.eventId]);
  });

  it("dead-letters an event whose handler keeps failing, after pauses between attempts, acks it and goes on", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const attempts: string[] = [];
    const subscription = await subscribe(bus, store, async (message, trx) => {
      const { eventId } = message as unknown as { eventId: string };
      attempts.push(eventId);
      if (eventId === "evt_002") throw new Error("cannot handle this one");
      await applying(message, trx);
    });
    await bus.publish(events(3));
    await subscription.idle();

    expect(attempts.filter((eventId) => eventId === "evt_002")).toHaveLength(3 + 1); // the batch's try, then 3 alone
    // A pause before the second and the third attempt alone, not one after the other at once.
    expect(pauses.splice(0)).toEqual([...RETRY_PAUSES_MS]);
    expect(RETRY_PAUSES_MS).toEqual([250, 1_000]);
    const dead = await store.db.selectFrom("_dead_letter").select(["event_id", "event_type", "error"]).execute();
    expect(dead).toEqual([{ event_id: "evt_002", event_type: THING, error: "Error: cannot handle this one" }]);
    expect((await applied(store)).map((row) => row.event_id)).toEqual(["evt_001", "evt_003"]);
    const info = await bus.manager.consumers.info(bus.names.stream, bus.names.consumer("subscriber"));
    expect(info.ack_floor.stream_seq).toBe(3);
  });

  it("tries an event whose handler's callee is unavailable again, with capped backoff, until it goes through", async () => {
    const bus = await busOf();
    const store = await storeOf();
    let refusals = 0;
    const subscription = await subscribe(bus, store, async (message, trx) => {
      const { eventId } = message as unknown as { eventId: string };
      // The context it calls is restarting: refused seven times (more than the dead letter's attempts), as a
      // process that serves it answers and as the transport does when none is registered.
      if (eventId === "evt_002" && refusals < 7) {
        refusals++;
        throw refusals % 2 === 0
          ? new ConnectError("No process serves payment", Code.Unavailable)
          : fail.unavailable("payment is restarting");
      }
      await applying(message, trx);
    });
    await bus.publish(events(3));
    await subscription.idle();

    expect(refusals).toBe(7);
    // The batch's try, then six alone, each after a longer pause up to the cap.
    expect(pauses.splice(0)).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(UNAVAILABLE_PAUSES_MS.at(-1)).toBe(10_000);
    expect(await store.db.selectFrom("_dead_letter").select("event_id").execute()).toEqual([]);
    expect((await applied(store)).map((row) => row.event_id)).toEqual(["evt_001", "evt_002", "evt_003"]);
    const info = await bus.manager.consumers.info(bus.names.stream, bus.names.consumer("subscriber"));
    expect(info.ack_floor.stream_seq).toBe(3);
    expect(info.num_redelivered).toBe(0);
  });

  it("dead-letters after three failures other than unavailable, however many unavailable ones come between", async () => {
    const bus = await busOf();
    const store = await storeOf();
    // evt_002's tries, in turn (the batch's first): what the embedded dispatcher's test throws too.
    const failures = [
      fail.unavailable("payment is restarting"),
      fail.unavailable("payment is restarting"),
      new Error("first"),
      new ConnectError("No process serves payment", Code.Unavailable),
      new Error("second"),
      new Error("third"),
    ];
    let tries = 0;
    const subscription = await subscribe(bus, store, async (message, trx) => {
      const { eventId } = message as unknown as { eventId: string };
      if (eventId === "evt_002") throw failures[tries++] ?? new Error("tried once too often");
      await applying(message, trx);
    });
    await bus.publish(events(3));
    await subscription.idle();

    expect(tries).toBe(failures.length);
    // An unavailable failure waits its backoff; another waits the next of the bus's own pauses.
    expect(pauses.splice(0)).toEqual([1_000, 250, 1_000, 1_000]);
    const dead = await store.db.selectFrom("_dead_letter").select(["event_id", "error"]).execute();
    expect(dead).toEqual([{ event_id: "evt_002", error: "Error: third" }]);
    expect((await applied(store)).map((row) => row.event_id)).toEqual(["evt_001", "evt_003"]);
  });

  it("refuses to subscribe a store whose cursor is past the stream's end (the stream deleted and made again)", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const subscription = await subscribe(bus, store);
    await bus.publish(events(5));
    await subscription.idle();
    await bus.close();
    // The stream goes and comes back empty: its next events are numbered from 1 again, which the cursor (5) says
    // were handled.
    await dropNamespace(bus.names.namespace);
    const remade = await busOf(bus.names.namespace);
    await remade.publish(events(2, "new"));
    await expect(subscribe(remade, store)).rejects.toThrow(
      `the stream ${remade.names.stream} is behind what subscriber has seen: it ends at event #2, but subscriber ` +
        `(consumer ${remade.names.consumer("subscriber")}) handled events up to #5`,
    );
  });

  it("never moves the cursor back: a late writer cannot undo another's move", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const subscription = await subscribe(bus, store);
    await bus.publish(events(3));
    await subscription.idle();
    // Another process's delivery got further (it took the context over); this one delivers one more event late.
    await store.db.updateTable("_cursor").set({ seq: 50 }).execute();
    await bus.publish(events(4).slice(3));
    await subscription.idle();
    expect((await applied(store)).map((row) => row.event_id)).toEqual(["evt_001", "evt_002", "evt_003", "evt_004"]);
    expect((await store.db.selectFrom("_cursor").select("seq").executeTakeFirst())?.seq).toBe(50);
  });

  it("acks the types a subscriber does not handle without handling them", async () => {
    const bus = await busOf();
    const store = await storeOf();
    const subscription = await subscribe(bus, store);
    const [thing] = events(1);
    const other = {
      ...thing!,
      eventId: "evt_other",
      eventType: OTHER,
      envelope: thing!.envelope.replace(THING, OTHER).replace("evt_001", "evt_other"),
    };
    await bus.publish([other, thing!]);
    await subscription.idle();
    expect((await applied(store)).map((row) => row.event_id)).toEqual(["evt_001"]);
    expect(await subscription.position(10)).toEqual({ cursor: 2, pending: 0 });
    expect(await bus.read({ afterSeq: 0, types: [OTHER] })).toMatchObject([{ seq: 1, eventId: "evt_other" }]);
    expect(await bus.read({ afterSeq: 0, correlationId: "cor_agg_a", limit: 1 })).toMatchObject([{ seq: 1 }]);
  });

  it("reads one correlation id, or several types, across a stream longer than one pushed batch, each event once", async () => {
    const bus = await busOf();
    const made = events(600);
    await bus.publish(made);
    const ofA = made.filter((event) => event.correlationId === "cor_agg_a").map((event) => event.eventId);
    const read = await bus.read({ afterSeq: 0, correlationId: "cor_agg_a" });
    expect(read.map((event) => event.eventId)).toEqual(ofA);
    expect(read.map((event) => event.seq)).toEqual([...read.map((event) => event.seq)].sort((a, b) => a - b));
    expect((await bus.read({ afterSeq: 500, correlationId: "cor_agg_b", limit: 5 })).map((event) => event.seq)).toEqual(
      [503, 506, 509, 512, 515],
    );
    expect(await bus.read({ afterSeq: 0, types: [THING, OTHER] })).toHaveLength(600);
    expect(await bus.read({ afterSeq: 600, correlationId: "cor_agg_a" })).toEqual([]);
  });

  it("reads one type and a correlation id as nothing, not forever, when no event of that type comes after afterSeq", async () => {
    // The ordered consumer filtered to OTHER would have nothing to deliver and wait for the next OTHER published.
    const bus = await busOf();
    const [thing] = events(1);
    const other = {
      ...thing!,
      eventId: "evt_other",
      eventType: OTHER,
      envelope: thing!.envelope.replace(THING, OTHER).replace("evt_001", "evt_other"),
    };
    await bus.publish([other, ...events(4).slice(1)]);
    expect(await bus.read({ afterSeq: 0, types: [THING], correlationId: "cor_agg_b" })).toMatchObject([{ seq: 2 }]);
    expect(await bus.read({ afterSeq: 1, types: [OTHER], correlationId: "cor_agg_a" })).toEqual([]);
    expect(await bus.read({ afterSeq: 0, types: [`${OTHER}.none`], correlationId: "cor_agg_a" })).toEqual([]);
    expect(await bus.read({ afterSeq: 0, types: [OTHER], correlationId: "cor_agg_a" })).toMatchObject([{ seq: 1 }]);
  });

  it("keeps two namespaces on one NATS apart", async () => {
    const one = await busOf();
    const two = await busOf();
    const oneStore = await storeOf();
    const twoStore = await storeOf();
    const oneSubscription = await subscribe(one, oneStore);
    const twoSubscription = await subscribe(two, twoStore);
    await one.publish(events(3, "one"));
    await two.publish(events(2, "two"));
    await Promise.all([oneSubscription.idle(), twoSubscription.idle()]);

    expect(one.names.stream).not.toBe(two.names.stream);
    expect((await one.read({ afterSeq: 0 })).map((event) => event.eventId)).toEqual(["one_001", "one_002", "one_003"]);
    expect((await two.read({ afterSeq: 0 })).map((event) => event.eventId)).toEqual(["two_001", "two_002"]);
    expect((await applied(oneStore)).map((row) => row.event_id)).toEqual(["one_001", "one_002", "one_003"]);
    expect((await applied(twoStore)).map((row) => row.event_id)).toEqual(["two_001", "two_002"]);
  });

  it("reads a type from a query string that holds NATS wildcards as a type, not as a subject filter", async () => {
    const bus = await busOf();
    await bus.publish(events(3));
    for (const type of ["ecommerce.>", "*.*.*.*.*", "a b"]) {
      expect(await bus.read({ afterSeq: 0, types: [type] })).toEqual([]);
    }
    expect(await bus.read({ afterSeq: 0, types: [THING] })).toHaveLength(3);
    await expect(bus.publish([{ ...events(1, "bad")[0]!, eventType: "ecommerce.>" }])).rejects.toThrow(
      /cannot be an event type on NATS/,
    );
  });

  it("tells watchers of what is published, in order", async () => {
    const bus = await busOf();
    const seen: number[] = [];
    const told = createCondition();
    const unwatch = bus.watch((logged) => {
      seen.push(...logged.map((event) => event.seq));
      told.changed();
    });
    await bus.publish(events(4));
    await told.until(() => seen.length >= 4);
    unwatch();
    expect(seen).toEqual([1, 2, 3, 4]);
  });
});
