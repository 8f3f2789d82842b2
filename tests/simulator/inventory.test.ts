import { Code, ConnectError } from "@connectrpc/connect";
import { createClient, type EcomClient } from "@ecom/sdk";
import { inventoryV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, defineContext, type TokenService } from "@ecom/services/platform";
import type { Platform } from "@ecom/simulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { inventoryContext } from "../../packages/services/src/inventory/index.js";
import { seedStockLevels } from "../../packages/services/src/seed-data/index.js";
import { type Backend, describeBackends } from "../backends/backends.js";
import { PLATFORM_START_TIMEOUT, type PlatformOnBackend, startPlatformOn } from "../backends/platform-on.js";

// The inventory context in the simulator, driven the way the Checkout Saga and admins drive it: InventoryService
// over the in-process Connect transport (platform.rpc) and REST through the SDK (platform.fetch). A stand-in
// catalog announces products (inventory learns of them only from ecommerce.catalog.product.created.v1), and a
// stand-in device gateway sends the stock.adjust command.

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };
const { ReservationStatus, ReleaseReason, StockStatus } = inventoryV1;
const MINUTE = 60_000;

let catalogRuntime: ContextRuntime<unknown> | undefined;
let gatewayRuntime: ContextRuntime<unknown> | undefined;
let tokens: TokenService | undefined;

/** Stands in for the catalog: publishes product.created as the real one does. */
const standInCatalog = defineContext<unknown>({
  name: "catalog",
  migrations: {},
  create(runtime) {
    catalogRuntime = runtime;
    return {};
  },
});

/** Stands in for the warehouse device gateway that turns MQTT reports into the stock.adjust command. */
const standInDeviceGateway = defineContext<unknown>({
  name: "device-gateway",
  migrations: {},
  create(runtime) {
    gatewayRuntime = runtime;
    return {};
  },
});

/** Gives the test the platform's token service, so it can act as an admin or a customer without the customer context. */
const tokenKit = defineContext<unknown>({
  name: "testkit",
  migrations: {},
  create(runtime) {
    tokens = runtime.tokens;
    return {};
  },
});

const ADMIN_ID = "cus_01JH8Z1A2B3C4D5E6F7G8H9J0K";
const CUSTOMER_ID = "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E";
let platform: Platform;
let admin: EcomClient;
let customer: EcomClient;
let isbnCounter = 0;

const client = (role: "admin" | "customer") =>
  createClient({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    retry: { maxAttempts: 1 },
    token: tokens!.issue({ customerId: role === "admin" ? ADMIN_ID : CUSTOMER_ID, role }, { expiresInSeconds: 3600 }),
  });

/** Announce a product as the catalog does (product.created) and wait until inventory has taken it in. */
async function announce(isbn?: string): Promise<string> {
  const runtime = catalogRuntime!;
  const productId = runtime.ids.next("prd");
  const now = runtime.clock.now().toISOString();
  isbnCounter++;
  await runtime.db.transaction().execute((trx) =>
    runtime.outbox.publish(
      trx,
      "ecommerce.catalog.product.created.v1",
      {
        product: {
          productId,
          isbn: isbn ?? `978000000${String(isbnCounter).padStart(4, "0")}`,
          title: `Test Book ${isbnCounter}`,
          description: "A book that exists for one test.",
          authors: [{ authorId: "aut_01JH8Z5A6B7C8D9E0F1G2H3J4K", name: "Test Author" }],
          publisher: { publisherId: "pub_01JH8Z5N6P7Q8R9S0T1V2W3X4Y", name: "Test Press" },
          publicationDate: "2020-01-01",
          language: "en",
          pages: 100,
          format: "paperback",
          categoryIds: ["cat_01JH8Z3Q4R5S6T7V8W9X0Y1Z2B"],
          price: { amount: 1999, currency: "USD" },
          status: "ACTIVE",
          createdAt: now,
          updatedAt: now,
        },
      },
      { partitionKey: productId, correlationId: `test-${productId}` },
    ),
  );
  await platform.settle();
  return productId;
}

/** A product the catalog announced, with `units` copies on hand put there by an admin restock. */
async function product(units: number): Promise<string> {
  const productId = await announce();
  if (units > 0) {
    const { error } = await admin.inventory.adjustStock({
      params: { path: { productId } },
      body: { delta: units, reason: "RESTOCK", note: "test setup" },
    });
    if (error) throw new Error(`restock failed: ${JSON.stringify(error)}`);
  }
  return productId;
}

const checkoutId = () => catalogRuntime!.ids.next("chk");
const orderId = () => catalogRuntime!.ids.next("ord");

async function level(productId: string) {
  const { levels } = await platform.rpc.inventory.queryStock({ productIds: [productId] });
  return levels[0]!;
}

async function events(type: string) {
  await platform.settle();
  const logged = await platform.eventLog.read({ afterSeq: 0, types: [type], limit: 10_000 });
  return logged.map(
    (event) =>
      JSON.parse(event.envelope) as {
        eventId: string;
        correlationId: string;
        causationId?: string;
        payload: Record<string, unknown>;
      },
  );
}

async function connectCode(call: Promise<unknown>): Promise<Code | undefined> {
  try {
    await call;
    return undefined;
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

/** A fresh platform for each test of the enclosing `describe`, on `backend` (the embedded one unless told). */
function platformPerTest(backend: Backend = { kind: "embedded" }) {
  let running: PlatformOnBackend | undefined;
  beforeEach(async () => {
    running = await startPlatformOn(backend, {
      // The device gateway's name is no PostgreSQL schema's; only the stock.adjust tests, on SQLite, send its command.
      contexts: [
        standInCatalog,
        ...(backend.kind === "embedded" ? [standInDeviceGateway] : []),
        tokenKit,
        inventoryContext,
      ],
      seed: 5,
      log: quiet,
    });
    platform = running.platform;
    admin = client("admin");
    customer = client("customer");
  }, PLATFORM_START_TIMEOUT);
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
}

describeBackends("ReserveStock under contention", (backend) => {
  platformPerTest(backend);

  it("holds exactly 10 of 200 concurrent single-copy reservations for 10 units, and available never drops below 0", async () => {
    const productId = await product(10);
    const observed: { onHand: number; reserved: number; available: number }[] = [];
    const reservations = Array.from({ length: 200 }, () =>
      platform.rpc.inventory.reserveStock({
        checkoutId: checkoutId(),
        correlationId: "contention",
        items: [{ productId, quantity: 1 }],
      }),
    );
    // Readers interleaved with the writers: every snapshot they take must be consistent.
    const watchers = Array.from({ length: 20 }, async () => observed.push(await level(productId)));
    const answers = await Promise.all(reservations);
    await Promise.all(watchers);

    expect(answers.filter((answer) => answer.status === ReservationStatus.RESERVED)).toHaveLength(10);
    expect(answers.filter((answer) => answer.status === ReservationStatus.UNAVAILABLE)).toHaveLength(190);
    for (const snapshot of observed) {
      expect(snapshot.available).toBeGreaterThanOrEqual(0);
      expect(snapshot.reserved).toBeLessThanOrEqual(snapshot.onHand);
    }
    expect(await level(productId)).toMatchObject({
      onHand: 10,
      reserved: 10,
      available: 0,
      status: StockStatus.OUT_OF_STOCK,
    });
    expect(await events("ecommerce.inventory.stock.reserved.v1")).toHaveLength(10);
    expect(await events("ecommerce.inventory.stock.unavailable.v1")).toHaveLength(190);
    // Falling through the reorder level (5) and then to zero: one alert per crossing, not one per reservation.
    expect((await events("ecommerce.inventory.stock.low.v1")).map((event) => event.payload.status)).toEqual([
      "LOW",
      "OUT",
    ]);
  });

  it("reserves all lines or none, and says which lines were short", async () => {
    const plenty = await product(50);
    const scarce = await product(1);
    const answer = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "all-or-nothing",
      items: [
        { productId: plenty, quantity: 3 },
        { productId: scarce, quantity: 2 },
      ],
    });
    expect(answer.status).toBe(ReservationStatus.UNAVAILABLE);
    expect(answer.expiresAt).toBeUndefined();
    expect(answer.unavailableItems.map((item) => ({ ...item }))).toEqual([
      expect.objectContaining({ productId: scarce, requestedQuantity: 2, availableQuantity: 1 }),
    ]);
    expect((await level(plenty)).reserved).toBe(0);
    expect((await level(scarce)).reserved).toBe(0);
    const [unavailable] = await events("ecommerce.inventory.stock.unavailable.v1");
    expect(unavailable?.payload.shortages).toEqual([{ productId: scarce, requested: 2, available: 1 }]);
  });

  it("answers a product inventory never heard of as unavailable, not as an error", async () => {
    const answer = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "unknown",
      items: [{ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", quantity: 1 }],
    });
    expect(answer.status).toBe(ReservationStatus.UNAVAILABLE);
  });

  it("answers every inventory call as unavailable while the inventoryDown fault is on, and serves again after", async () => {
    const productId = await product(5);
    platform.faults.inventoryDown = true;
    try {
      expect(await connectCode(platform.rpc.inventory.queryStock({ productIds: [productId] }))).toBe(Code.Unavailable);
    } finally {
      platform.faults.inventoryDown = false;
    }
    expect((await level(productId)).onHand).toBe(5);
  });

  const invalid: [string, { items: { productId: string; quantity: number }[]; checkout?: string }][] = [
    [
      "a malformed checkout id",
      { items: [{ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", quantity: 1 }], checkout: "chk_nope" },
    ],
    ["no lines", { items: [] }],
    ["a zero quantity", { items: [{ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", quantity: 0 }] }],
    [
      "a repeated product",
      {
        items: [
          { productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", quantity: 1 },
          { productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", quantity: 1 },
        ],
      },
    ],
  ];
  it.each(invalid)("refuses %s as invalid_argument", async (_name, { items, checkout }) => {
    const call = platform.rpc.inventory.reserveStock({
      checkoutId: checkout ?? checkoutId(),
      correlationId: "x",
      items,
    });
    expect(await connectCode(call)).toBe(Code.InvalidArgument);
  });
});

describeBackends("idempotency of the saga's calls", (backend) => {
  platformPerTest(backend);

  it("answers a retried ReserveStock with the first reservation and holds nothing more; other items are already_exists", async () => {
    const productId = await product(10);
    const request = { checkoutId: checkoutId(), correlationId: "retry", items: [{ productId, quantity: 2 }] };
    const first = await platform.rpc.inventory.reserveStock(request);
    const again = await platform.rpc.inventory.reserveStock(request);
    expect(again.reservationId).toBe(first.reservationId);
    expect(again.status).toBe(ReservationStatus.RESERVED);
    expect(again.expiresAt).toEqual(first.expiresAt);
    expect((await level(productId)).reserved).toBe(2);
    expect(await events("ecommerce.inventory.stock.reserved.v1")).toHaveLength(1);

    const other = platform.rpc.inventory.reserveStock({ ...request, items: [{ productId, quantity: 3 }] });
    expect(await connectCode(other)).toBe(Code.AlreadyExists);
  });

  it("keeps an unavailable answer for its checkout even after stock arrives", async () => {
    const productId = await product(1);
    const request = { checkoutId: checkoutId(), correlationId: "short", items: [{ productId, quantity: 2 }] };
    const first = await platform.rpc.inventory.reserveStock(request);
    await admin.inventory.adjustStock({ params: { path: { productId } }, body: { delta: 10, reason: "RESTOCK" } });
    const again = await platform.rpc.inventory.reserveStock(request);
    expect(first.status).toBe(ReservationStatus.UNAVAILABLE);
    expect(again).toMatchObject({ reservationId: first.reservationId, status: ReservationStatus.UNAVAILABLE });
    expect(again.unavailableItems[0]?.availableQuantity).toBe(1);
  });

  it("releases once however often ReleaseStock is repeated, and refuses to release sold stock", async () => {
    const productId = await product(10);
    const held = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "release",
      items: [{ productId, quantity: 4 }],
    });
    const reason = ReleaseReason.PAYMENT_FAILED;
    const first = await platform.rpc.inventory.releaseStock({ reservationId: held.reservationId, reason });
    const again = await platform.rpc.inventory.releaseStock({ reservationId: held.reservationId, reason });
    expect([first.status, again.status]).toEqual([ReservationStatus.RELEASED, ReservationStatus.RELEASED]);
    expect(await level(productId)).toMatchObject({ onHand: 10, reserved: 0, available: 10 });
    const released = await events("ecommerce.inventory.stock.released.v1");
    expect(released).toHaveLength(1);
    expect(released[0]).toMatchObject({ correlationId: "release", payload: { reason: "CHECKOUT_FAILED" } });

    const sold = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "sold",
      items: [{ productId, quantity: 1 }],
    });
    await platform.rpc.inventory.commitStock({ reservationId: sold.reservationId, orderId: orderId() });
    expect(await connectCode(platform.rpc.inventory.releaseStock({ reservationId: sold.reservationId, reason }))).toBe(
      Code.FailedPrecondition,
    );
    expect(
      await connectCode(
        platform.rpc.inventory.releaseStock({ reservationId: "rsv_01JH8Z3Q4R5S6T7V8W9X0Y1Z2M", reason }),
      ),
    ).toBe(Code.NotFound);
  });

  it("commits once however often CommitStock is repeated: on hand and reserved drop together, available stays", async () => {
    const productId = await product(8);
    const held = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "commit",
      items: [{ productId, quantity: 3 }],
    });
    expect(await level(productId)).toMatchObject({
      onHand: 8,
      reserved: 3,
      available: 5,
      status: StockStatus.LOW_STOCK,
    });
    const order = orderId();
    const first = await platform.rpc.inventory.commitStock({ reservationId: held.reservationId, orderId: order });
    const again = await platform.rpc.inventory.commitStock({ reservationId: held.reservationId, orderId: order });
    expect([first.status, again.status]).toEqual([ReservationStatus.COMMITTED, ReservationStatus.COMMITTED]);
    expect(await level(productId)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    const committed = await events("ecommerce.inventory.stock.committed.v1");
    expect(committed).toHaveLength(1);
    expect(committed[0]).toMatchObject({
      correlationId: "commit",
      payload: { orderId: order, items: [{ productId, quantity: 3 }] },
    });
    // The reservation fell to the reorder level (5): one low-stock alert, and committing did not raise another.
    const low = await events("ecommerce.inventory.stock.low.v1");
    expect(low.map((event) => event.payload)).toEqual([
      expect.objectContaining({ productId, status: "LOW", available: 5, reorderLevel: 5 }),
    ]);

    const { data: reservation } = await admin.inventory.getReservation({
      params: { path: { reservationId: held.reservationId } },
    });
    expect(reservation).toMatchObject({
      status: "COMMITTED",
      orderId: order,
      checkoutId: expect.stringMatching(/^chk_/),
    });
  });
});

describe("reservation expiry on the virtual clock", () => {
  platformPerTest();

  it("gives the copies back after 15 minutes and publishes reservation.expired under the checkout's correlation id", async () => {
    const productId = await product(5);
    const checkout = checkoutId();
    const held = await platform.rpc.inventory.reserveStock({
      checkoutId: checkout,
      correlationId: "abandoned",
      items: [{ productId, quantity: 5 }],
    });
    expect((await level(productId)).available).toBe(0);

    await platform.advanceClock(15 * MINUTE - 1_000);
    expect((await level(productId)).available).toBe(0);
    expect(await events("ecommerce.inventory.reservation.expired.v1")).toHaveLength(0);

    await platform.advanceClock(1_000);
    expect(await level(productId)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    const expired = await events("ecommerce.inventory.reservation.expired.v1");
    const [reserved] = await events("ecommerce.inventory.stock.reserved.v1");
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({
      correlationId: "abandoned",
      payload: {
        reservationId: held.reservationId,
        checkoutId: checkout,
        items: [{ productId, quantity: 5 }],
        expiredAt: reserved?.payload.expiresAt,
      },
    });

    // A saga that wakes up late can neither sell the lapsed hold nor fail to compensate it.
    expect(
      await connectCode(platform.rpc.inventory.commitStock({ reservationId: held.reservationId, orderId: orderId() })),
    ).toBe(Code.FailedPrecondition);
    const release = await platform.rpc.inventory.releaseStock({
      reservationId: held.reservationId,
      reason: ReleaseReason.CHECKOUT_FAILED,
    });
    expect(release.status).toBe(ReservationStatus.EXPIRED);
    const retried = await platform.rpc.inventory.reserveStock({
      checkoutId: checkout,
      correlationId: "abandoned",
      items: [{ productId, quantity: 5 }],
    });
    expect(retried.status).toBe(ReservationStatus.EXPIRED);
    expect((await level(productId)).available).toBe(5);
  });

  it("refuses to commit a hold whose time has passed even before the expiry job ran", async () => {
    const productId = await product(2);
    const held = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "late",
      items: [{ productId, quantity: 1 }],
      ttlSeconds: 60,
    });
    platform.clock.advance(60_000); // moves time without running tick(), as if the expiry job were behind
    expect(
      await connectCode(platform.rpc.inventory.commitStock({ reservationId: held.reservationId, orderId: orderId() })),
    ).toBe(Code.FailedPrecondition);
  });
});

describe("stock over REST", () => {
  platformPerTest();

  it("answers batch and single look-ups, listing ids it has no record for", async () => {
    const known = await product(7);
    const unknown = "prd_01JH8Z4B5C6D7E8F9G0H1J2K3M";
    const { data } = await customer.inventory.batchGetStockLevels({
      params: { query: { productIds: [unknown, known] } },
    });
    expect(data).toEqual({
      levels: [
        expect.objectContaining({
          productId: known,
          onHand: 7,
          reserved: 0,
          available: 7,
          reorderLevel: 5,
          status: "IN_STOCK",
        }),
      ],
      unknownProductIds: [unknown],
    });
    expect((await customer.inventory.getStockLevel({ params: { path: { productId: unknown } } })).response.status).toBe(
      404,
    );
  });

  it("lets only admins adjust, refuses to remove reserved copies, and records every adjustment newest first", async () => {
    const productId = await product(10);
    const forbidden = await customer.inventory.adjustStock({
      params: { path: { productId } },
      body: { delta: 1, reason: "RESTOCK" },
    });
    expect(forbidden.response.status).toBe(403);

    await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "held",
      items: [{ productId, quantity: 6 }],
    });
    const conflict = await admin.inventory.adjustStock({
      params: { path: { productId } },
      body: { delta: -5, reason: "DAMAGE" },
    });
    expect(conflict.response.status).toBe(409);
    expect((await level(productId)).onHand).toBe(10);

    const damaged = await admin.inventory.adjustStock({
      params: { path: { productId } },
      body: { delta: -4, reason: "DAMAGE", note: "water" },
    });
    expect(damaged.response.status).toBe(201);
    expect(damaged.data).toMatchObject({
      adjustment: { delta: -4, reason: "DAMAGE", source: "ADMIN", adjustedBy: ADMIN_ID, onHandAfter: 6, note: "water" },
      stock: { onHand: 6, reserved: 6, available: 0, status: "OUT" },
    });
    const adjusted = await events("ecommerce.inventory.stock.adjusted.v1");
    expect(adjusted.at(-1)?.payload).toMatchObject({
      productId,
      delta: -4,
      reason: "DAMAGE",
      source: "ADMIN",
      onHand: 6,
      available: 0,
      status: "OUT",
    });

    const first = await admin.inventory.listStockAdjustments({ params: { path: { productId }, query: { limit: 1 } } });
    expect(first.data?.items.map((item) => item.delta)).toEqual([-4]);
    const second = await admin.inventory.listStockAdjustments({
      params: { path: { productId }, query: { limit: 1, cursor: first.data!.page.nextCursor! } },
    });
    expect(second.data?.items.map((item) => item.delta)).toEqual([10]);
    expect(second.data?.page.nextCursor).toBeUndefined();
    const restocks = await admin.inventory.listStockAdjustments({
      params: { path: { productId }, query: { reason: "RESTOCK" } },
    });
    expect(restocks.data?.items).toHaveLength(1);
    expect((await customer.inventory.listStockAdjustments({ params: { path: { productId } } })).response.status).toBe(
      403,
    );
  });

  it("shows a held reservation to admins only", async () => {
    const productId = await product(3);
    const held = await platform.rpc.inventory.reserveStock({
      checkoutId: checkoutId(),
      correlationId: "look",
      items: [{ productId, quantity: 1 }],
    });
    const { data } = await admin.inventory.getReservation({ params: { path: { reservationId: held.reservationId } } });
    expect(data).toMatchObject({
      reservationId: held.reservationId,
      status: "HELD",
      items: [{ productId, quantity: 1 }],
    });
    expect(
      (await customer.inventory.getReservation({ params: { path: { reservationId: held.reservationId } } })).response
        .status,
    ).toBe(403);
  });
});

describe("the stock.adjust command from warehouse devices", () => {
  platformPerTest();

  async function report(productId: string, delta: number, sequence: number) {
    const runtime = gatewayRuntime!;
    await runtime.db.transaction().execute((trx) =>
      runtime.outbox.publish(
        trx,
        "ecommerce.inventory.stock.adjust.v1",
        {
          productId,
          delta,
          reason: "SENSOR",
          deviceId: "shelf-scale-07",
          sequence,
          observedAt: runtime.clock.now().toISOString(),
        },
        { partitionKey: productId, correlationId: `shelf-scale-07:${sequence}` },
      ),
    );
    await platform.settle();
  }

  it("applies each (device, sequence) once, so a replayed buffer changes nothing twice, and rejects a count below zero", async () => {
    const productId = await product(10);
    await report(productId, -2, 1842);
    await report(productId, -2, 1842);
    await report(productId, 5, 1843);
    await report(productId, -100, 1844);
    expect((await level(productId)).onHand).toBe(13);
    const device = (await events("ecommerce.inventory.stock.adjusted.v1")).filter(
      (event) => event.payload.source === "DEVICE",
    );
    expect(device.map((event) => event.payload)).toEqual([
      expect.objectContaining({ delta: -2, reason: "SENSOR", deviceId: "shelf-scale-07", onHand: 8 }),
      expect.objectContaining({ delta: 5, onHand: 13 }),
    ]);
    expect(device[0]?.correlationId).toBe("shelf-scale-07:1842");
    const { data } = await admin.inventory.listStockAdjustments({
      params: { path: { productId }, query: { reason: "SENSOR" } },
    });
    expect(data?.items.map((item) => [item.delta, item.source, item.deviceId])).toEqual([
      [5, "DEVICE", "shelf-scale-07"],
      [-2, "DEVICE", "shelf-scale-07"],
    ]);
  });
});

describe("opening stock of the seeded catalog", () => {
  platformPerTest();

  it("restocks a product announced with a seeded ISBN from the catalog's seed table, as a recorded adjustment", async () => {
    const seeded = seedStockLevels().find((entry) => entry.quantity > 0)!;
    const productId = await announce(seeded.isbn);
    expect((await level(productId)).onHand).toBe(seeded.quantity);
    const [created] = await events("ecommerce.catalog.product.created.v1");
    const adjusted = await events("ecommerce.inventory.stock.adjusted.v1");
    expect(adjusted).toHaveLength(1);
    expect(adjusted[0]).toMatchObject({
      correlationId: `test-${productId}`,
      causationId: created?.eventId,
      payload: { productId, delta: seeded.quantity, reason: "RESTOCK", source: "ADMIN", onHand: seeded.quantity },
    });
  });

  it("starts a product the seed table does not list with nothing on hand, and publishes nothing for it", async () => {
    const productId = await announce();
    expect(await level(productId)).toMatchObject({
      onHand: 0,
      reserved: 0,
      available: 0,
      status: StockStatus.OUT_OF_STOCK,
    });
    expect(await events("ecommerce.inventory.stock.adjusted.v1")).toHaveLength(0);
    expect(await events("ecommerce.inventory.stock.low.v1")).toHaveLength(0);
  });
});
