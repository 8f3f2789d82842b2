import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { cartApi } from "@ecom/sdk";
import { createClient } from "@ecom/sdk";
import {
  type ContextRuntime,
  defineContext,
  fail,
  type RestHandlers,
  type TokenService,
} from "@ecom/services/platform";
import { ContractViolationError, createPlatform, type Platform } from "@ecom/simulator";
import type { Migration, Transaction } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { type Backend, describeBackends } from "../backends/backends.js";
import {
  PLATFORM_START_TIMEOUT,
  type PlatformOnBackend,
  type PlatformOnBackendOptions,
  startPlatformOn,
} from "../backends/platform-on.js";

const quiet = { info() {}, warn() {}, error() {} };

interface ToyCartDb {
  items: { cart_id: string; product_id: string; quantity: number };
}

const migrations: Record<string, Migration> = {
  "0001_items": {
    async up(db) {
      await db.schema
        .createTable("items")
        .addColumn("cart_id", "text")
        .addColumn("product_id", "text")
        .addColumn("quantity", "integer")
        .execute();
    },
  },
};

const itemAdded = (cartId: string, quantity: number) => ({
  cartId,
  customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E",
  productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
  quantity,
  unitPrice: { amount: 4599, currency: "USD" },
});

/** A cart that records items and publishes cart.item_added in the same transaction; a toy for the runtime. */
const toyCart = defineContext<ToyCartDb>({
  name: "cart",
  migrations,
  create(runtime) {
    const rest: RestHandlers<cartApi.operations> = {
      getCart: async ({ path }) => {
        if (path.cartId.endsWith("Z")) throw fail.notFound(`cart ${path.cartId}`);
        // Deliberately not the contract's shape: the gateway must catch it.
        return { status: 200, body: { cartId: path.cartId } as never };
      },
    };
    return {
      rest: rest as never,
      async seed() {
        await runtime.db.transaction().execute(async (trx) => {
          const [existing] = await trx.selectFrom("items").selectAll().limit(1).execute();
          if (existing) return;
          await trx
            .insertInto("items")
            .values({ cart_id: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G", product_id: "p", quantity: 1 })
            .execute();
          await runtime.outbox.publish(
            trx,
            "ecommerce.cart.cart.item_added.v1",
            itemAdded("crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G", 1),
            {
              partitionKey: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
              correlationId: "seed",
            },
          );
        });
      },
    };
  },
});

interface ToySearchDb {
  seen: { event_id: string; quantity: number };
}

/** A subscriber that counts deliveries; fails on demand. */
function toySearch(behaviour: { failQuantity?: number } = {}) {
  return defineContext<ToySearchDb>({
    name: "search",
    migrations: {
      "0001_seen": {
        async up(db) {
          await db.schema.createTable("seen").addColumn("event_id", "text").addColumn("quantity", "integer").execute();
        },
      },
    },
    create: () => ({
      subscriptions: {
        "ecommerce.cart.cart.item_added.v1": async (message, trx) => {
          if (message.payload.quantity === behaviour.failQuantity) throw new Error("boom");
          await trx
            .insertInto("seen")
            .values({ event_id: message.eventId, quantity: message.payload.quantity })
            .execute();
        },
      },
    }),
  });
}

let platform: Platform | undefined;
let running: PlatformOnBackend | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  // One started on a backend (startOn) also drops its database and namespace.
  await (running ?? platform)?.close();
  running = undefined;
  platform = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

/** Start a platform on `backend` for one test; afterEach closes it and drops what it made. */
async function startOn(backend: Backend, options: PlatformOnBackendOptions): Promise<Platform> {
  running = await startPlatformOn(backend, options);
  return running.platform;
}

describe("the runtime", () => {
  it("relays an event published in a transaction to the log and delivers it to the subscriber once", async () => {
    platform = await createPlatform({ contexts: [toyCart, toySearch()], memory: true, seed: 7, log: quiet });
    await platform.settle();
    const events = await platform.eventLog.read({ afterSeq: 0 });
    expect(events.map((event) => event.eventType)).toEqual(["ecommerce.cart.cart.item_added.v1"]);
    const envelope = JSON.parse(events[0]!.envelope);
    expect(envelope).toMatchObject({
      producer: "cart",
      correlationId: "seed",
      schemaVersion: "1.0",
      partitionKey: "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G",
    });
    expect(envelope.eventId).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(envelope.occurredAt).toBe("2026-01-01T00:00:00.000Z");
  });

  it("has a transaction's events in the log once the transaction resolves (publish before reply), and runs no hook of one rolled back", async () => {
    let captured: ContextRuntime<ToyCartDb> | undefined;
    const capturing = defineContext<ToyCartDb>({
      ...toyCart,
      create(runtime) {
        captured = runtime;
        return {};
      },
    });
    platform = await createPlatform({ contexts: [capturing], memory: true, seed: 7, log: quiet });
    const runtime = captured!;
    const cartId = "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G";
    const publish = (trx: Transaction<ToyCartDb>, quantity: number) =>
      runtime.outbox.publish(trx, "ecommerce.cart.cart.item_added.v1", itemAdded(cartId, quantity), {
        partitionKey: cartId,
        correlationId: "test",
      });
    const hooks: string[] = [];
    await runtime.db.transaction().execute(async (trx) => {
      await publish(trx, 1);
      await publish(trx, 2);
      runtime.afterCommit(trx, () => {
        hooks.push("committed");
      });
    });
    // No settle and no turn of the event loop: the commit's hook has relayed both events already.
    const logged = await platform.eventLog.read({ afterSeq: 0 });
    expect(logged.map((event) => JSON.parse(event.envelope).payload.quantity)).toEqual([1, 2]);
    expect(hooks).toEqual(["committed"]);

    const undone = await runtime.db
      .transaction()
      .execute(async (trx) => {
        await publish(trx, 3);
        runtime.afterCommit(trx, () => {
          hooks.push("rolled back");
        });
        throw new Error("undo");
      })
      .catch((error: unknown) => error);
    expect(undone).toEqual(new Error("undo"));
    await platform.settle();
    expect(await platform.eventLog.lastSeq()).toBe(2);
    expect(hooks).toEqual(["committed"]);
  });

  it("refuses to publish a payload that breaks the contract, and writes nothing", async () => {
    let captured: unknown;
    const broken = defineContext<ToyCartDb>({
      ...toyCart,
      create(runtime) {
        return {
          async seed() {
            captured = await runtime.db
              .transaction()
              .execute((trx) =>
                runtime.outbox.publish(
                  trx,
                  "ecommerce.cart.cart.item_added.v1",
                  itemAdded("crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G", 0),
                  { partitionKey: "x", correlationId: "y" },
                ),
              )
              .catch((error: unknown) => error);
          },
        };
      },
    });
    platform = await createPlatform({ contexts: [broken], memory: true, log: quiet });
    expect(captured).toBeInstanceOf(ContractViolationError);
    expect(String(captured)).toMatch(/quantity/);
    expect(await platform.eventLog.lastSeq()).toBe(0);
  });

  it("keeps events and delivery progress across a restart on the same data folder", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "ecom-runtime-"));
    const search = toySearch();
    platform = await createPlatform({ contexts: [toyCart, search], dataDir, log: quiet });
    await platform.settle();
    await platform.close();
    platform = await createPlatform({ contexts: [toyCart, search], dataDir, log: quiet });
    await platform.settle();
    expect(await platform.eventLog.lastSeq()).toBe(1);
  });

  it("dead-letters an event whose handler keeps failing, and goes on delivering", async () => {
    const failing = toySearch({ failQuantity: 1 });
    platform = await createPlatform({ contexts: [toyCart, failing], memory: true, log: quiet });
    await platform.settle();
    expect(await platform.eventLog.lastSeq()).toBe(1);
  });
});

describe("the REST gateway", () => {
  const cartId = "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G";
  const client = (token?: string) =>
    createClient({
      baseUrl: "http://ecom.test",
      fetch: platform!.fetch,
      retry: { maxAttempts: 1 },
      ...(token ? { token } : {}),
    });

  it("answers 401 without a token, 400 for a malformed id, 404 from the handler, and 500 naming the contract for a bad response", async () => {
    platform = await createPlatform({ contexts: [toyCart], memory: true, log: quiet });
    expect((await client().cart.getCart({ params: { path: { cartId } } })).response.status).toBe(401);
    const token = "not.a.jwt";
    expect((await client(token).cart.getCart({ params: { path: { cartId } } })).response.status).toBe(401);
  });

  it("checks every response against the contract: a page with one wrong field deep in its 20 items is a 500 naming the contract and the field", async () => {
    const product = {
      productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
      isbn: "9780141439518",
      title: "A Title",
      description: "A description.",
      authors: [{ authorId: "aut_01JH8Z3Q4R5S6T7V8W9X0Y1Z2B", name: "An Author" }],
      publisher: { publisherId: "pub_01JH8Z3Q4R5S6T7V8W9X0Y1Z2C", name: "A Publisher" },
      publicationDate: "2020-02-29",
      language: "en",
      pages: 10,
      format: "paperback",
      categoryIds: ["cat_01JH8Z3Q4R5S6T7V8W9X0Y1Z2D"],
      price: { amount: 1299, currency: "USD" },
      status: "ACTIVE",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      rating: { count: 0 },
    };
    const page = { items: Array.from({ length: 20 }, () => structuredClone(product)), page: { limit: 20 } };
    let answer: unknown = page;
    const toyCatalog = defineContext<object>({
      name: "catalog",
      migrations: {},
      create: () => ({ rest: { listProducts: async () => ({ status: 200, body: answer }) } as never }),
    });
    const list = { method: "GET", url: "/products?limit=20", headers: {}, body: "" };
    platform = await createPlatform({ contexts: [toyCatalog], memory: true, log: quiet });

    const good = await platform.handle(list);
    expect(good.status).toBe(200);
    expect(JSON.parse(good.body)).toEqual(page);

    const broken = structuredClone(page);
    (broken.items[13]!.price as { amount: unknown }).amount = "12.99";
    answer = broken;
    const refused = await platform.handle(list);
    expect(refused.status).toBe(500);
    expect(JSON.parse(refused.body)).toMatchObject({
      code: "internal",
      detail: expect.stringMatching(
        /contracts\/openapi\/catalog\.yaml: \/body\/items\/13\/price\/amount must be integer/,
      ),
    });
    answer = { ...page, items: [...page.items, { ...product, surprise: true }] };
    expect(JSON.parse((await platform.handle(list)).body).detail).toMatch(
      /\/body\/items\/20\/surprise is not a property the contract defines/,
    );
    await platform.close();

    // Turned off (as `ecom sim up --no-validate-responses` does), the same answer goes out as the handler gave it.
    answer = broken;
    platform = await createPlatform({ contexts: [toyCatalog], memory: true, log: quiet, validateResponses: false });
    const unchecked = await platform.handle(list);
    expect(unchecked.status).toBe(200);
    expect(JSON.parse(unchecked.body)).toEqual(broken);
  });

  it("answers 501 for an operation in the contract that no context implements", async () => {
    platform = await createPlatform({ contexts: [], memory: true, log: quiet });
    const response = await platform.handle({ method: "GET", url: "/products", headers: {}, body: "" });
    expect(response.status).toBe(501);
    expect(JSON.parse(response.body)).toMatchObject({ code: "not_implemented" });
  });

  it("answers 404 with a problem for a path no contract has, and 405 for a wrong method", async () => {
    platform = await createPlatform({ contexts: [], memory: true, log: quiet });
    expect((await platform.handle({ method: "GET", url: "/nowhere", headers: {}, body: "" })).status).toBe(404);
    expect((await platform.handle({ method: "DELETE", url: "/products", headers: {}, body: "" })).status).toBe(405);
  });

  it("serves /healthz and moves the virtual clock", async () => {
    platform = await createPlatform({ contexts: [], memory: true, seed: 1, log: quiet });
    const health = await platform.handle({ method: "GET", url: "/healthz", headers: {}, body: "" });
    expect(JSON.parse(health.body)).toMatchObject({ status: "ok" });
    const advanced = await platform.handle({
      method: "POST",
      url: "/_sim/clock/advance",
      headers: {},
      body: '{"by":"15m"}',
    });
    expect(JSON.parse(advanced.body).now).toBe("2026-01-01T00:15:00.000Z");
    expect(
      (await platform.handle({ method: "POST", url: "/_sim/clock/advance", headers: {}, body: '{"by":"soon"}' }))
        .status,
    ).toBe(400);
  });
});

// The gateway's Idempotency-Keys on either backend (on PostgreSQL they are the platform store's, in its database).
// Each test starts its platform (on PostgreSQL: a database of its own), so the start counts in its time.
describeBackends("an Idempotency-Key", (backend) => {
  /** A cart context whose createCart is `createCart` (a toy answering off the contract, hence the one cast). */
  const cartContext = (createCart: () => Promise<{ status: number; body: unknown }>) =>
    defineContext<ToyCartDb>({ ...toyCart, create: () => ({ rest: { createCart } as never }) });
  /** `POST /carts` as `tokens`' customer with `key`. */
  const postCart = (tokens: string, key: string, body = "{}") => ({
    method: "POST",
    url: "/carts",
    headers: { authorization: `Bearer ${tokens}`, "content-type": "application/json", "idempotency-key": key },
    body,
  });

  it(
    "runs the handler once for two identical requests sent at once with one Idempotency-Key",
    async () => {
      let runs = 0;
      const counting = cartContext(async () => {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { status: 201, body: undefined };
      });
      platform = await startOn(backend, { contexts: [counting, tokenMint], log: quiet, validateResponses: false });
      const { tokens } = await tokenFor(platform);
      const request = postCart(tokens, "same-key-123");
      const [first, second] = await Promise.all([platform.handle(request), platform.handle(request)]);
      expect(runs).toBe(1);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers["idempotent-replayed"]).toBe("true");
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "stores a 500 that follows a handler's work, so a retry with the key does not do it again",
    async () => {
      let runs = 0;
      const breaking = cartContext(async () => {
        runs++;
        return { status: 201, body: { not: "a cart" } };
      });
      platform = await startOn(backend, { contexts: [breaking, tokenMint], log: quiet });
      const { tokens } = await tokenFor(platform);
      const request = postCart(tokens, "retry-key-123");
      expect((await platform.handle(request)).status).toBe(500);
      expect((await platform.handle(request)).status).toBe(500);
      expect(runs).toBe(1);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "leaves the key free after a 404, so the retry once the thing exists runs the handler (a 404 changed nothing)",
    async () => {
      let runs = 0;
      const late = cartContext(async () => {
        runs++;
        if (runs === 1) throw fail.notFound("checkout chk_not_heard_of_yet");
        return { status: 201, body: undefined };
      });
      platform = await startOn(backend, { contexts: [late, tokenMint], log: quiet, validateResponses: false });
      const { tokens } = await tokenFor(platform);
      const request = postCart(tokens, "not-yet-key-1");
      expect((await platform.handle(request)).status).toBe(404);
      const retried = await platform.handle(request);
      expect(retried.status).toBe(201);
      expect(retried.headers["idempotent-replayed"]).toBeUndefined();
      expect((await platform.handle(request)).headers["idempotent-replayed"]).toBe("true");
      expect(runs).toBe(2);
    },
    PLATFORM_START_TIMEOUT,
  );

  it(
    "forgets an Idempotency-Key after 24 hours of platform time",
    async () => {
      const creating = cartContext(async () => ({ status: 201, body: undefined }));
      platform = await startOn(backend, {
        contexts: [creating, tokenMint],
        seed: 4,
        log: quiet,
        validateResponses: false,
      });
      const { tokens } = await tokenFor(platform);
      const send = (body: string) => platform!.handle(postCart(tokens, "day-old-key", body));
      expect((await send("{}")).status).toBe(201);
      expect((await send('{"currency":"EUR"}')).status).toBe(422);
      await platform.advanceClock(25 * 60 * 60 * 1000);
      const { tokens: fresh } = await tokenFor(platform);
      const again = await platform.handle(postCart(fresh, "day-old-key", '{"currency":"EUR"}'));
      expect(again.status).toBe(201);
    },
    PLATFORM_START_TIMEOUT,
  );
});

describe("regressions found in review", () => {
  it("lists each allowed method once in a 405's Allow header", async () => {
    platform = await createPlatform({ contexts: [], memory: true, log: quiet });
    const response = await platform.handle({ method: "DELETE", url: "/customers/me", headers: {}, body: "" });
    expect(response.status).toBe(405);
    const allowed = response.headers.allow!.split(", ");
    expect(new Set(allowed).size).toBe(allowed.length);
  });

  it("answers a malformed percent-escape in a path with 400, not a crash", async () => {
    platform = await createPlatform({ contexts: [], memory: true, log: quiet });
    const response = await platform.handle({ method: "GET", url: "/products/%E0%A4%A", headers: {}, body: "" });
    expect(response.status).toBe(400);
  });

  it("refuses to move the clock by an absurd amount", async () => {
    platform = await createPlatform({ contexts: [], memory: true, seed: 1, log: quiet });
    const response = await platform.handle({
      method: "POST",
      url: "/_sim/clock/advance",
      headers: {},
      body: '{"ms":1e300}',
    });
    expect(response.status).toBe(400);
    expect(platform.clock.now().toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });
});

/** A context that only keeps the platform's token service, so tests can mint tokens as the customer context does. */
let mint: TokenService | undefined;
const tokenMint = defineContext<object>({
  name: "tokens",
  migrations: {},
  create(runtime) {
    mint = runtime.tokens;
    return {};
  },
});

/** An access token for a customer, from the platform's own token service. */
async function tokenFor(_target: Platform): Promise<{ tokens: string }> {
  if (!mint) throw new Error("add tokenMint to the platform's contexts");
  return {
    tokens: mint.issue({ customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role: "customer" }, { expiresInSeconds: 900 }),
  };
}
