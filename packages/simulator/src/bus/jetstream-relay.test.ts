import type { Kysely } from "kysely";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { describePostgresNats } from "../../../../tests/backends/backends.js";
import { createTestNamespace, type TestNamespace } from "../../../../tests/backends/nats-namespace.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "../sqlite-store.js";
import type { OutgoingEvent } from "./event-bus.js";
import { connectJetStreamBus, type JetStreamBus } from "./jetstream-bus.js";

const quiet = { info() {}, warn() {}, error() {} };
const TYPE = "ecommerce.test.thing.happened.v1";

/** An event whose envelope carries `payload`, under `eventId`. */
function event(eventId: string, payload: unknown): OutgoingEvent {
  const head = { eventId, eventType: TYPE, producer: "test", correlationId: "cor_1", partitionKey: "agg_1" };
  return { ...head, envelope: JSON.stringify({ ...head, payload }) };
}

describePostgresNats("publishing to JetStream under an eventId the stream has seen", (backend) => {
  let namespace: TestNamespace;
  let bus: JetStreamBus;
  let store: SqliteStore<RuntimeTables>;

  beforeAll(async () => {
    namespace = createTestNamespace();
    bus = await connectJetStreamBus({ url: backend.busUrl, namespace: namespace.name, logger: quiet });
  });
  afterEach(async () => {
    await store?.close();
  });
  afterAll(async () => {
    await bus?.close();
    await namespace?.drop();
  });

  it("takes the same event again as the repeat it is, storing it once", async () => {
    await bus.publish([event("evt_same", { n: 1 })]);
    await bus.publish([event("evt_same", { n: 1 })]);
    const stored = await bus.read({ afterSeq: 0, limit: 100 });
    expect(stored.filter((logged) => logged.eventId === "evt_same")).toHaveLength(1);
  });

  it("refuses another event under a stored id, naming the id and the stored seq", async () => {
    await bus.publish([event("evt_reused", { n: 1 })]);
    const [stored] = (await bus.read({ afterSeq: 0, limit: 100 })).filter((logged) => logged.eventId === "evt_reused");
    await expect(bus.publish([event("evt_reused", { n: 2 })])).rejects.toThrow(
      `already holds another event under the id evt_reused (seq ${stored?.seq})`,
    );
  });

  it("keeps an outbox row the stream refuses as another event under a stored id, and tells the relay's onError", async () => {
    await bus.publish([event("evt_reseeded", { n: 1 })]);
    store = openSqliteStore<RuntimeTables>(":memory:");
    await migrate(store.db as Kysely<unknown>, runtimeMigrations, { label: "runtime", table: "_migrations_runtime" });
    const different = event("evt_reseeded", { n: 2 });
    await store.db
      .insertInto("_outbox")
      .values({ event_id: different.eventId, envelope: different.envelope })
      .execute();
    const errors: unknown[] = [];
    const relay = bus.relay({
      producer: "test",
      store: { sqlite: store, db: store.db },
      onError: (e) => errors.push(e),
    });
    try {
      await relay.flush();
      expect(String(errors[0])).toContain("already holds another event under the id evt_reseeded");
      expect(await relay.waiting()).toBe(1);
    } finally {
      relay.stop();
    }
  });
});
