import { afterEach, describe, expect, it } from "vitest";
import type { CommittedOutboxRow } from "./bus/event-bus.js";
import { idHex, keptId } from "./compact-ids.js";
import { createOutbox } from "./outbox.js";
import { outgoingEvent } from "./outbox-relay.js";
import { packedEnvelope, unpackedEnvelope } from "./packed-envelope.js";
import { migrate, openSqliteStore, type RuntimeTables, runtimeMigrations, type SqliteStore } from "./sqlite-store.js";
import { embeddedStore } from "./store/store-port.js";

const ITEM_ADDED = "ecommerce.cart.cart.item_added.v1";
const payload = {
  cartId: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
  customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E",
  productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
  quantity: 2,
  unitPrice: { amount: 4599, currency: "USD" },
};
const options = { partitionKey: payload.cartId, correlationId: payload.cartId };

describe("the outbox", () => {
  let store: SqliteStore<RuntimeTables>;
  afterEach(() => store.close());

  async function setUp(
    ids: (prefix: string, count: number) => string = (prefix, count) => `${prefix}_${count}`,
    packed = false,
  ) {
    store = openSqliteStore<RuntimeTables>(":memory:");
    await migrate(store.db, runtimeMigrations, { label: "runtime", table: "_migrations" });
    const told: CommittedOutboxRow[][] = [];
    const flushes: number[] = [];
    let next = 0;
    const outbox = createOutbox<RuntimeTables>({
      producer: "cart",
      clock: { now: () => new Date("2026-01-18T12:05:00.000Z") },
      ids: { next: (prefix) => ids(prefix, ++next) },
      random: () => 0.5,
      store: embeddedStore(store),
      clearable: () => undefined,
      packed,
      committed: (rows) => told.push([...rows]),
      onPublish: () => {
        flushes.push(told.length);
      },
    });
    return { outbox, told, flushes };
  }

  it("tells what a publishing transaction inserted once it commits, before its flush, as the relay would read it", async () => {
    const { outbox, told, flushes } = await setUp();
    await store.db.transaction().execute(async (trx) => {
      await outbox.publish(trx, ITEM_ADDED, payload, options);
      await outbox.publish(trx, ITEM_ADDED, { ...payload, quantity: 3 }, options);
      expect(told).toEqual([]);
    });
    expect(flushes).toEqual([1]);
    const rows = await store.db.selectFrom("_outbox").selectAll().orderBy("seq").execute();
    expect(told).toEqual([
      rows.map((row) => ({ seq: row.seq, event: outgoingEvent(row.event_id, String(row.envelope)) })),
    ]);
  });

  it("gives an untraced event its id's bits as its trace id, and random ones when the id is not the platform's", async () => {
    const { outbox } = await setUp((prefix, count) =>
      count === 1 ? `${prefix}_01JH8Z3Q4R5S6T7V8W9X0Y1Z31` : `${prefix}_2`,
    );
    await store.db.transaction().execute(async (trx) => {
      await outbox.publish(trx, ITEM_ADDED, payload, options);
      await outbox.publish(trx, ITEM_ADDED, payload, options);
    });
    const rows = await store.db.selectFrom("_outbox").select("envelope").orderBy("seq").execute();
    const [platformMade, other] = rows.map((row) => (JSON.parse(String(row.envelope)) as { traceId: string }).traceId);
    expect(platformMade).toBe(idHex("evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31"));
    expect(other).toMatch(/^[0-9a-f]{32}$/);
  });

  it("tells nothing of a transaction that rolls back", async () => {
    const { outbox, told, flushes } = await setUp();
    await expect(
      store.db.transaction().execute(async (trx) => {
        await outbox.publish(trx, ITEM_ADDED, payload, options);
        throw new Error("the state change failed");
      }),
    ).rejects.toThrow(/state change failed/);
    expect(told).toEqual([]);
    expect(flushes).toEqual([]);
  });

  it("keeps envelopes packed as the event log keeps them when the relay reads them so, and tells their text and bytes", async () => {
    const { outbox, told } = await setUp((prefix, count) => `${prefix}_01JH8Z3Q4R5S6T7V8W9X0Y1Z3${count}`, true);
    await store.db.transaction().execute(async (trx) => {
      await outbox.publish(trx, ITEM_ADDED, payload, { ...options, correlationId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S" });
    });
    const [row] = await store.db.selectFrom("_outbox").selectAll().execute();
    const [event] = told.flat().map((committed) => committed.event);
    expect(Buffer.isBuffer(row?.envelope)).toBe(true);
    expect(row?.correlation_id).toEqual(keptId("chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S"));
    expect(event?.packed).toEqual(row?.envelope);
    expect(event?.packed).toEqual(packedEnvelope(event!));
    expect(unpackedEnvelope(row!.envelope as Buffer, row!.event_id, "cart", "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S")).toBe(
      event?.envelope,
    );
    expect((row!.envelope as Buffer).length).toBeLessThan(event!.envelope.length / 2);
  });
});
