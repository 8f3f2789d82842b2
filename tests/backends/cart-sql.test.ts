import type { MessageOf } from "@ecom/sdk";
import { type ContextRuntime, lockForTransaction, type Principal } from "@ecom/services/platform";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { migrations } from "../../packages/services/src/cart/migrations.js";
import { createCartRestHandlers } from "../../packages/services/src/cart/rest-handlers.js";
import type { CartDatabase } from "../../packages/services/src/cart/store.js";
import { createCartSubscriptions } from "../../packages/services/src/cart/subscriptions.js";
import { describeBackends } from "./backends.js";
import { type ContextStore, openContextStore } from "./context-store.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "./test-database.js";

// "Two concurrent calls cannot both open a cart": on SQLite the store's one connection runs the transactions one at
// a time; on a PostgreSQL pool they overlap, and the customer's transaction lock makes the second wait for the first
// and find its cart. A failed checkout may still hand a cart back OPEN beside a newer one (why the guard is a lock,
// not a unique index).

const NOW = new Date("2026-12-01T10:00:00.000Z");

function request(principal: Principal) {
  return {
    path: {},
    query: {},
    headers: {},
    body: { currency: "USD" as const },
    rawBody: '{"currency":"USD"}',
    principal,
    correlationId: "cor_1",
  };
}

/** Resolves once some session of `database` waits for an advisory lock (polled: what PostgreSQL shows is all there is). */
async function untilAdvisoryLockAwaited(database: TestDatabase): Promise<void> {
  for (;;) {
    const waiting = await withAdminClient(async (client) => {
      const { rows } = await client.query(
        "select 1 from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and not l.granted and d.datname = $1",
        [database.name],
      );
      return rows.length > 0;
    });
    if (waiting) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeBackends("cart's open-cart guard", (backend) => {
  let database: TestDatabase | undefined;
  let store: ContextStore<CartDatabase>;
  let db: Kysely<CartDatabase>;
  let runtime: ContextRuntime<CartDatabase>;

  beforeAll(async () => {
    if (backend.kind === "postgres+nats") database = await createTestDatabase();
    store = await openContextStore<CartDatabase>(backend, { name: "cart", migrations }, database);
    db = store.db;
    let made = 0;
    // What createCart and the checkout subscriptions use of a runtime; nothing here publishes or calls out.
    const parts: Partial<ContextRuntime<CartDatabase>> = {
      name: "cart",
      db,
      clock: { now: () => NOW },
      ids: { next: (prefix) => `${prefix}_${String(++made).padStart(4, "0")}` },
    };
    runtime = parts as ContextRuntime<CartDatabase>;
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it("opens one cart for a customer however many calls arrive at once", async () => {
    const handlers = createCartRestHandlers(runtime);
    const principal: Principal = { customerId: "cus_many", role: "customer" };
    const answers = await Promise.all(Array.from({ length: 8 }, () => handlers.createCart!(request(principal))));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const cartIds = new Set(answers.map((answer) => (answer.body as { cartId: string }).cartId));
    expect(cartIds.size).toBe(1);
    const open = await db.selectFrom("carts").select("cart_id").where("customer_id", "=", "cus_many").execute();
    expect(open).toHaveLength(1);
  });

  // On a pool, deterministically: a createCart that arrives while another holds the customer's lock and has inserted
  // its cart (not yet committed) waits, then answers that cart instead of opening a second one.
  if (backend.kind === "postgres+nats")
    it("waits for a concurrent opening of the customer's cart and answers its cart", async () => {
      const handlers = createCartRestHandlers(runtime);
      const principal: Principal = { customerId: "cus_race", role: "customer" };
      let arrived!: () => void;
      const waiting = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      let answer: ReturnType<NonNullable<typeof handlers.createCart>> | undefined;
      await db.transaction().execute(async (trx) => {
        await lockForTransaction(trx, "cart:open:cus_race");
        await trx
          .insertInto("carts")
          .values({
            cart_id: "crt_first",
            customer_id: "cus_race",
            status: "OPEN",
            currency: "USD",
            created_at: NOW.toISOString(),
            updated_at: NOW.toISOString(),
            expires_at: "2026-12-08T10:00:00.000Z",
            checkout_id: null,
          })
          .execute();
        answer = handlers.createCart!({ ...request(principal) });
        void answer.finally(arrived);
        // Commit only once the call waits on the lock (or, were it not guarded, has answered).
        await Promise.race([waiting, untilAdvisoryLockAwaited(database!)]);
      });
      const { status, body } = await answer!;
      expect({ status, cartId: (body as { cartId: string }).cartId }).toEqual({ status: 200, cartId: "crt_first" });
    });

  it("takes back a cart whose checkout failed, even beside a newer open cart", async () => {
    await db
      .insertInto("carts")
      .values([
        {
          cart_id: "crt_old",
          customer_id: "cus_back",
          status: "CHECKED_OUT",
          currency: "USD",
          created_at: NOW.toISOString(),
          updated_at: NOW.toISOString(),
          expires_at: NOW.toISOString(),
          checkout_id: "chk_1",
        },
        {
          cart_id: "crt_new",
          customer_id: "cus_back",
          status: "OPEN",
          currency: "USD",
          created_at: NOW.toISOString(),
          updated_at: NOW.toISOString(),
          expires_at: "2026-12-08T10:00:00.000Z",
          checkout_id: null,
        },
      ])
      .execute();
    const failed = createCartSubscriptions(runtime)["ecommerce.order.checkout.failed.v1"]!;
    const message = {
      payload: { cartId: "crt_old", checkoutId: "chk_1" },
    } as MessageOf<"ecommerce.order.checkout.failed.v1">;
    await db.transaction().execute((trx) => failed(message, trx));
    const carts = await db
      .selectFrom("carts")
      .select(["cart_id", "status"])
      .where("customer_id", "=", "cus_back")
      .orderBy("cart_id")
      .execute();
    expect(carts).toEqual([
      { cart_id: "crt_new", status: "OPEN" },
      { cart_id: "crt_old", status: "OPEN" },
    ]);
  });
});
