import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { storeNamespace } from "@ecom/simulator";
import { afterAll, beforeAll, expect, it, onTestFailed } from "vitest";
import { describePostgresNats } from "../backends/backends.js";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase, withAdminClient } from "../backends/test-database.js";
import { type EcomChild, killAllEcomChildren, sigkill, startEcom } from "./ecom-children.js";
import { type CheckoutOutcome, checkOut, type ReadyShopper } from "./sigkill-shoppers.js";

// The platform split over `ecom serve` processes on PostgreSQL and NATS JetStream, as an operator runs it: the
// process that runs order and payment (the Checkout Saga and the charges) is killed with SIGKILL while shoppers'
// checkouts are in flight, and started again with the same --instance. The shoppers do what a real client does:
// send a request again, with the same Idempotency-Key, until it is answered. Every saga must end, with no order or
// charge lost or made twice, the stock exact and nothing dead-lettered.

const SHOPPERS = 20;
/** Every so many shoppers pays with a card the processor declines, so some sagas compensate across the crash. */
const DECLINED_EVERY = 5;
/** The order process is killed when this many shoppers have their order (the rest are still in flight). */
const KILL_AFTER_ORDERS = 5;
const ORDER_CONTEXTS = ["order", "payment"];
/**
 * Every other context but search, whose index of the seeded catalog takes half a minute to build on PostgreSQL on a
 * busy machine, and which a checkout neither calls nor changes.
 */
const REST = allContexts.map((module) => module.name).filter((name) => ![...ORDER_CONTEXTS, "search"].includes(name));
const INSTANCE = "sigkill-orders";

interface Bought {
  readonly productId: string;
  readonly quantity: number;
}

describePostgresNats("a checkout load across a SIGKILL of the order and payment process", (backend) => {
  let database: TestDatabase;
  let namespace: string;
  let gatewayUrl: string;
  const serve = (contexts: readonly string[], ...more: string[]) =>
    startEcom("serve", [
      "--contexts",
      contexts.join(","),
      "--store",
      database.url,
      "--bus",
      backend.busUrl,
      "--registry-ttl",
      "60s",
      ...more,
    ]);
  const serveOrders = () => serve(ORDER_CONTEXTS, "--instance", INSTANCE);
  let orders: EcomChild;

  beforeAll(async () => {
    database = await createTestDatabase();
    namespace = storeNamespace(database.url);
    // One after another: the first makes the database's roles, each migrates and seeds its own contexts.
    orders = serveOrders();
    await orders.url;
    await serve(REST).url;
    gatewayUrl = await startEcom("gateway", ["--store", database.url, "--bus", backend.busUrl, "--port", "0"]).url;
  }, 300_000);
  afterAll(async () => {
    await killAllEcomChildren();
    if (namespace) await createTestNamespace(namespace).drop();
    await database?.drop();
  });

  it("ends every saga once, with one charge per paid order and the stock exact", async () => {
    // What the order processes logged (their warnings and errors) says where a saga stopped.
    const logs: EcomChild[] = [];
    onTestFailed(() => {
      for (const child of logs) console.error(`order process ${child.child.pid}:\n${child.stderr().slice(-20_000)}`);
    });
    logs.push(orders);
    await eventually(async () => {
      const health = await getJson<{ unserved: string[] }>(`${gatewayUrl}/healthz`);
      return health.unserved.every((context) => context === "search") || undefined;
    }, "every context served");
    const admin = await signIn(devAccounts.admin.email, devAccounts.admin.password);
    const products = await stockedProducts(admin.client, 3);
    const before = await stockOf(admin.client, products);
    const shoppers = await Promise.all(
      Array.from({ length: SHOPPERS }, async (_, index) => {
        const bought = { productId: products[index % products.length]!, quantity: 1 + (index % 2) };
        const declined = index % DECLINED_EVERY === DECLINED_EVERY - 1;
        return { shopper: await readyShopper(index, bought, declined), bought, declined };
      }),
    );

    // Every shopper checks out at once; the k-th order answered is the moment the order process dies.
    const deadline = Date.now() + 240_000;
    let ordered = 0;
    let killPoint!: () => void;
    const killNow = new Promise<void>((resolve) => {
      killPoint = resolve;
    });
    const outcomes = Promise.all(
      shoppers.map(({ shopper }) =>
        checkOut(shopper, {
          gatewayUrl,
          deadline,
          onOrdered: () => {
            ordered += 1;
            if (ordered === KILL_AFTER_ORDERS) killPoint();
          },
        }),
      ),
    );
    outcomes.catch(() => killPoint());
    await killNow;
    await sigkill(orders);
    expect((await orders.exited).signal).toBe("SIGKILL");
    // Started again with the same instance id, it takes its claims over at once (not after the registry's TTL).
    orders = serveOrders();
    logs.push(orders);
    await orders.url;
    const answered: CheckoutOutcome[] = await outcomes;

    // What the clients were told: an order for every good card, a decline for every other.
    for (const [index, { declined }] of shoppers.entries()) {
      expect(answered[index], `shopper ${index}`).toMatchObject(
        declined ? { kind: "failed", code: "checkout_failed" } : { kind: "ordered" },
      );
    }

    // Every saga ends; its stock is committed or released, and every context has handled every event.
    const checkoutIds = answered.map((outcome) => outcome.checkoutId);
    expect(new Set(checkoutIds).size).toBe(SHOPPERS);
    const sagas = await Promise.all(
      checkoutIds.map((checkoutId, index) =>
        eventually(async () => {
          const { data } = await shoppersClient(shoppers[index]!.shopper).order.getCheckout({
            params: { path: { checkoutId } },
          });
          return data && (data.state === "COMPLETED" || data.state === "FAILED") ? data : undefined;
        }, `checkout ${checkoutId} ends`),
      ),
    );
    for (const [index, saga] of sagas.entries())
      expect(saga.state, `checkout ${saga.checkoutId}`).toBe(shoppers[index]!.declined ? "FAILED" : "COMPLETED");
    const paidQuantity = (productId: string) =>
      shoppers
        .filter(({ bought, declined }) => !declined && bought.productId === productId)
        .reduce((sum, { bought }) => sum + bought.quantity, 0);
    const expected = Object.fromEntries(
      products.map((productId) => [
        productId,
        {
          onHand: before[productId]!.onHand - paidQuantity(productId),
          reserved: before[productId]!.reserved,
        },
      ]),
    );
    await eventually(async () => {
      const now = await stockOf(admin.client, products);
      const settled = products.every(
        (productId) =>
          now[productId]!.onHand === expected[productId]!.onHand &&
          now[productId]!.reserved === expected[productId]!.reserved,
      );
      return settled || undefined;
    }, "the stock committed and released").catch(async (error: unknown) => {
      expect(await stockOf(admin.client, products), String(error)).toEqual(expected);
    });
    const health = await eventually(async () => {
      const report = await getJson<HealthReport>(`${gatewayUrl}/healthz`);
      return Object.values(report.contexts).every((context) => context.lag === 0) ? report : undefined;
    }, "every context caught up");
    for (const [name, context] of Object.entries(health.contexts))
      expect(context.deadLetters, `dead letters of ${name}`).toBe(0);

    // One order per paid checkout, PAID, with its checkout's items; none for a declined card.
    const paidOrders = new Map<string, { orderId: string; total: number }>();
    for (const [index, saga] of sagas.entries()) {
      const { shopper, bought, declined } = shoppers[index]!;
      const { data: list } = await shoppersClient(shopper).order.listOrders({ params: { query: {} } });
      if (declined) {
        expect(list!.items, `orders of shopper ${index}`).toEqual([]);
        continue;
      }
      expect(list!.items.map((order) => order.orderId)).toEqual([saga.orderId]);
      const { data: order } = await admin.client.order.getOrder({ params: { path: { orderId: saga.orderId! } } });
      expect(order).toMatchObject({ checkoutId: saga.checkoutId, status: "PAID" });
      expect(order!.items.map((item) => [item.productId, item.quantity])).toEqual([
        [bought.productId, bought.quantity],
      ]);
      paidOrders.set(saga.checkoutId, { orderId: saga.orderId!, total: order!.total.amount });
    }

    // One charge per paid order, for its total: in the log and in the payment context's own records.
    const succeeded = await logged(gatewayUrl, "ecommerce.payment.payment.succeeded.v1");
    const ours = succeeded.filter((event) => checkoutIds.includes(event.correlationId));
    expect(ours.map((event) => event.payload.orderId).sort()).toEqual(
      [...paidOrders.values()].map((order) => order.orderId).sort(),
    );
    for (const type of [
      "ecommerce.order.order.created.v1",
      "ecommerce.order.order.paid.v1",
      "ecommerce.inventory.stock.reserved.v1",
    ]) {
      const events = (await logged(gatewayUrl, type)).filter((event) => checkoutIds.includes(event.correlationId));
      expect(events.map((event) => event.correlationId).sort(), type).toEqual(
        type === "ecommerce.inventory.stock.reserved.v1" ? [...checkoutIds].sort() : [...paidOrders.keys()].sort(),
      );
    }
    const payments = await paymentsOf(database.url, checkoutIds);
    expect(payments.map((payment) => payment.correlation_id).sort()).toEqual([...checkoutIds].sort());
    for (const payment of payments) {
      const paid = paidOrders.get(payment.correlation_id);
      expect(payment, `payment of ${payment.correlation_id}`).toMatchObject(
        paid
          ? { status: "CAPTURED", order_id: paid.orderId, amount_captured: paid.total, captures: 1 }
          : { status: "FAILED", amount_captured: 0, captures: 0 },
      );
    }
  }, 420_000);

  async function signIn(email: string, password: string): Promise<{ client: EcomClient; token: string }> {
    const { data, error } = await createClient({ baseUrl: gatewayUrl, retry: { maxAttempts: 1 } }).customer.login({
      body: { email, password },
    });
    if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
    return {
      client: createClient({ baseUrl: gatewayUrl, token: data.accessToken, retry: { maxAttempts: 1 } }),
      token: data.accessToken,
    };
  }

  const shoppersClient = (shopper: ReadyShopper) =>
    createClient({ baseUrl: gatewayUrl, token: shopper.token, retry: { maxAttempts: 1 } });

  /** A new customer with an address, a card and a cart holding `bought`. */
  async function readyShopper(index: number, bought: Bought, declined: boolean): Promise<ReadyShopper> {
    const email = `sigkill${index}@example.com`;
    const anonymous = createClient({ baseUrl: gatewayUrl, retry: { maxAttempts: 1 } });
    const { data: registered, error } = await anonymous.customer.registerCustomer({
      body: { email, password: "a-long-enough-password", firstName: "Shopper", lastName: `Number${index}` },
    });
    if (!registered) throw new Error(`register failed: ${JSON.stringify(error)}`);
    const token = registered.tokens.accessToken;
    const client = createClient({ baseUrl: gatewayUrl, token, retry: { maxAttempts: 1 } });
    const { data: address } = await client.customer.addMyAddress({
      body: {
        label: "HOME",
        isDefault: true,
        address: { name: "Shopper", line1: "1 Test Street", city: "Springfield", postalCode: "12345", country: "US" },
      },
    });
    const { data: cart } = await client.cart.createCart({ body: {} });
    const { error: itemError } = await client.cart.addCartItem({
      params: { path: { cartId: cart!.cartId } },
      body: bought,
    });
    if (itemError) throw new Error(`add item failed: ${JSON.stringify(itemError)}`);
    const { data: method } = await client.payment.tokenizePaymentMethod({
      body: {
        cardNumber: declined ? "4000000000000002" : "4242424242424242",
        expMonth: 12,
        expYear: 2030,
        cvc: "123",
        holderName: "Shopper",
      },
    });
    return {
      index,
      token,
      cartId: cart!.cartId,
      addressId: address!.addressId,
      paymentToken: method!.paymentToken,
    };
  }
});

interface HealthReport {
  readonly contexts: Readonly<Record<string, { readonly lag: number; readonly deadLetters: number }>>;
}

interface LoggedEvent {
  readonly seq: number;
  readonly eventId: string;
  readonly correlationId: string;
  readonly payload: Record<string, unknown>;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  return (await response.json()) as T;
}

/** Every event of `type` in the platform's log, read through the gateway a page at a time. */
async function logged(gatewayUrl: string, type: string): Promise<LoggedEvent[]> {
  const events: LoggedEvent[] = [];
  for (let since = 0; ; ) {
    const page = await getJson<{ events: LoggedEvent[] }>(
      `${gatewayUrl}/_sim/log?types=${type}&since=${since}&limit=1000`,
    );
    events.push(...page.events);
    if (page.events.length < 1000) break;
    since = page.events.at(-1)!.seq;
  }
  // The log never holds one event twice.
  expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
  return events;
}

/** `count` seeded products with plenty of copies available. */
async function stockedProducts(client: EcomClient, count: number): Promise<string[]> {
  const { data: page } = await client.catalog.listProducts({ params: { query: { limit: 50 } } });
  const { data: stock } = await client.inventory.batchGetStockLevels({
    params: { query: { productIds: page!.items.map((product) => product.productId) } },
  });
  const plenty = stock!.levels.filter((level) => level.available >= SHOPPERS * 2);
  if (plenty.length < count) throw new Error(`the seed has only ${plenty.length} products with enough stock`);
  return plenty.slice(0, count).map((level) => level.productId);
}

async function stockOf(
  client: EcomClient,
  productIds: readonly string[],
): Promise<Record<string, { onHand: number; reserved: number }>> {
  const { data } = await client.inventory.batchGetStockLevels({ params: { query: { productIds: [...productIds] } } });
  return Object.fromEntries(
    data!.levels.map((level) => [level.productId, { onHand: level.onHand, reserved: level.reserved }]),
  );
}

/**
 * The payment context's payments of these checkouts (a saga's payment has its checkout as correlation id), with how
 * many captures of each succeeded, read from its schema as the database's owner.
 */
async function paymentsOf(
  url: string,
  checkoutIds: readonly string[],
): Promise<{ correlation_id: string; order_id: string; status: string; amount_captured: number; captures: number }[]> {
  return withAdminClient(async (client) => {
    const { rows } = await client.query(
      `select p.correlation_id, p.order_id, p.status, p.amount_captured,
              (select count(*)::int from payment.charges c
                where c.payment_id = p.payment_id and c.kind = 'CAPTURE' and c.status = 'SUCCEEDED') as captures
         from payment.payments p where p.correlation_id = any($1)`,
      [checkoutIds],
    );
    return rows;
  }, url);
}

/** Ask `probe` until it answers; a generous real-time bound fails the test instead of hanging it. */
async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
