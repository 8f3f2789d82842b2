import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts } from "@ecom/services";
import type { Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBackends } from "../backends/backends.js";
import { PLATFORM_START_TIMEOUT, type PlatformOnBackend, startPlatformOn } from "../backends/platform-on.js";
import { quiet, type Shop, shopAt, shopThrough } from "./shop.js";

// End to end over real HTTP: the SDK against `platform.listen(0)`, every context of the platform; once on the
// embedded default (SQLite, the in-process log) and once on PostgreSQL and NATS JetStream (a schema and role per
// context, the log a stream, each subscriber a durable consumer), as `ecom sim up [--store … --bus …]` runs them.

describeBackends("a checkout end to end", (backend) => {
  let running: PlatformOnBackend;
  let platform: Platform;
  let baseUrl: string;
  let shop: Shop;

  beforeAll(async () => {
    running = await startPlatformOn(backend, { contexts: allContexts, seed: 42, log: quiet });
    platform = running.platform;
    baseUrl = await platform.listen(0);
    shop = shopThrough(baseUrl);
  }, PLATFORM_START_TIMEOUT);
  afterAll(async () => {
    await running?.close();
  });

  const admin = async (): Promise<EcomClient> => (await shop.admin()).client;

  /** A product with exactly `units` available, made by an admin adjustment of a seeded book. */
  async function productWithStock(units: number, offset = 0): Promise<string> {
    const ops = await admin();
    const { data: page } = await ops.catalog.listProducts({ params: { query: { limit: 100 } } });
    const product = page!.items[page!.items.length - 1 - offset]!;
    const { data: level } = await ops.inventory.getStockLevel({ params: { path: { productId: product.productId } } });
    const delta = units - level!.available;
    if (delta !== 0) {
      const { error } = await ops.inventory.adjustStock({
        params: { path: { productId: product.productId } },
        body: { delta, reason: "CORRECTION", note: "test setup" },
      });
      if (error) throw new Error(`adjust failed: ${JSON.stringify(error)}`);
    }
    return product.productId;
  }

  async function stockOf(productId: string) {
    const { data } = await (await admin()).inventory.getStockLevel({ params: { path: { productId } } });
    return data!;
  }

  interface CheckoutOptions {
    readonly card?: string;
    readonly coupon?: string;
    readonly quantity?: number;
    readonly idempotencyKey?: string;
  }

  /** A cart holding `productId`, a payment token and the shopper's address: all a checkout of it needs. */
  async function readyCart(client: EcomClient, productId: string, options: CheckoutOptions = {}) {
    const [{ data: cart }, { data: method }, { data: addresses }] = await Promise.all([
      client.cart.createCart({ body: {} }),
      client.payment.tokenizePaymentMethod({
        body: {
          cardNumber: options.card ?? "4242424242424242",
          expMonth: 12,
          expYear: 2030,
          cvc: "123",
          holderName: "Test Shopper",
        },
      }),
      client.customer.listMyAddresses({}),
    ]);
    await client.cart.addCartItem({
      params: { path: { cartId: cart!.cartId } },
      body: { productId, quantity: options.quantity ?? 1 },
    });
    const body = {
      shippingAddressId: addresses!.items[0]!.addressId,
      paymentToken: method!.paymentToken,
      ...(options.coupon ? { couponCode: options.coupon } : {}),
    };
    return { cartId: cart!.cartId, body };
  }

  /** Fill a cart and check out; resolves with the checkout's final state, its order and its events. */
  async function checkout(client: EcomClient, productId: string, options: CheckoutOptions = {}) {
    const { cartId, body } = await readyCart(client, productId, options);
    const accepted = await client.cart.checkoutCart({
      params: {
        path: { cartId },
        ...(options.idempotencyKey ? { header: { "Idempotency-Key": options.idempotencyKey } } : {}),
      },
      body,
    });
    if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
    await platform.settle();
    const { data: view } = await client.order.getCheckout({
      params: { path: { checkoutId: accepted.data.checkoutId } },
    });
    const order =
      view?.orderId && view.state === "COMPLETED"
        ? (await client.order.getOrder({ params: { path: { orderId: view.orderId } } })).data
        : undefined;
    const events = await platform.eventLog.read({
      afterSeq: 0,
      correlationId: accepted.data.correlationId,
      limit: 1000,
    });
    return {
      cartId,
      body,
      accepted: accepted.data,
      checkout: view!,
      order,
      events: events.map((event) => ({ ...event, envelope: JSON.parse(event.envelope) })),
    };
  }

  /** Every subscriber has handled all it was given: none lags, and none dead-lettered an event its SQL refused. */
  async function expectEveryContextCaughtUp() {
    const health = await platform.health();
    const contexts = Object.entries(health.contexts);
    expect(contexts.filter(([, context]) => context.lag > 0).map(([name]) => name)).toEqual([]);
    expect(contexts.filter(([, context]) => context.deadLetters > 0).map(([name]) => name)).toEqual([]);
  }

  describe("one checkout", () => {
    it("ends with a PAID order, stock decremented, the discount applied and the saga's events in causal order under one correlation id", async () => {
      const { client } = await shop.register();
      const productId = await productWithStock(5);
      const result = await checkout(client, productId, { coupon: "WELCOME10", quantity: 2 });

      expect(result.checkout.state).toBe("COMPLETED");
      expect(result.order?.status).toBe("PAID");
      expect(result.order!.discount.amount).toBeGreaterThan(0);
      expect(result.order!.total.amount).toBe(
        result.order!.subtotal.amount -
          result.order!.discount.amount +
          result.order!.shipping.amount +
          result.order!.tax.amount,
      );
      expect((await stockOf(productId)).available).toBe(3);

      const types = result.events.map((event) => event.eventType);
      const order = [
        "ecommerce.cart.cart.checked_out.v1",
        "ecommerce.inventory.stock.reserved.v1",
        "ecommerce.payment.payment.authorized.v1",
        "ecommerce.order.order.created.v1",
        "ecommerce.order.order.paid.v1",
      ];
      for (const type of order) expect(types).toContain(type);
      const positions = order.map((type) => types.indexOf(type));
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      expect(new Set(result.events.map((event) => event.correlationId))).toEqual(
        new Set([result.accepted.correlationId]),
      );
      await expectEveryContextCaughtUp();
    });

    it("with a declining card ends with no order, the stock restored and nothing captured", async () => {
      const { client } = await shop.register();
      const productId = await productWithStock(3, 1);
      const result = await checkout(client, productId, { card: "4000000000000002" });

      expect(result.checkout.state).toBe("FAILED");
      expect(result.checkout.failure?.code).toBeDefined();
      expect(result.order).toBeUndefined();
      expect((await stockOf(productId)).available).toBe(3);
      const types = result.events.map((event) => event.eventType);
      expect(types).toContain("ecommerce.payment.payment.failed.v1");
      expect(types).toContain("ecommerce.order.checkout.failed.v1");
      expect(types).not.toContain("ecommerce.order.order.paid.v1");
      expect(types).not.toContain("ecommerce.payment.payment.succeeded.v1");
      // The cart is usable again.
      const { data: cart } = await client.cart.getCart({ params: { path: { cartId: result.cartId } } });
      expect(cart?.status).toBe("OPEN");
    });

    it("with an item out of stock ends with no charge at all", async () => {
      const { client } = await shop.register();
      const productId = await productWithStock(1, 2);
      const result = await checkout(client, productId, { quantity: 2 });

      expect(result.checkout.state).toBe("FAILED");
      expect(result.order).toBeUndefined();
      expect(result.events.map((event) => event.producer)).not.toContain("payment");
      expect((await stockOf(productId)).available).toBe(1);
    });

    it("sent twice with one Idempotency-Key yields one checkout; with another body under that key, 422", async () => {
      const { client } = await shop.register();
      const productId = await productWithStock(5, 3);
      const first = await checkout(client, productId, { idempotencyKey: "checkout-key-0001" });
      const again = await client.cart.checkoutCart({
        params: { path: { cartId: first.cartId }, header: { "Idempotency-Key": "checkout-key-0001" } },
        body: first.body,
      });
      expect(again.response.status).toBe(202);
      expect(again.response.headers.get("idempotent-replayed")).toBe("true");
      expect(again.data?.checkoutId).toBe(first.accepted.checkoutId);
      await platform.settle();
      const created = await platform.eventLog.read({
        afterSeq: 0,
        types: ["ecommerce.order.order.created.v1"],
        correlationId: first.accepted.correlationId,
      });
      expect(created).toHaveLength(1);

      const other = await client.cart.checkoutCart({
        params: { path: { cartId: first.cartId }, header: { "Idempotency-Key": "checkout-key-0001" } },
        body: { ...first.body, couponCode: "SAVE5" },
      });
      expect(other.response.status).toBe(422);
      expect(other.error).toMatchObject({ code: "idempotency_key_reused" });
    });

    it("sent twice at once with one Idempotency-Key runs once and answers both the same", async () => {
      const { client } = await shop.register();
      const productId = await productWithStock(5, 6);
      const { cartId, body } = await readyCart(client, productId);
      const send = () =>
        client.cart.checkoutCart({
          params: { path: { cartId }, header: { "Idempotency-Key": "checkout-key-0002" } },
          body,
        });
      const [one, two] = await Promise.all([send(), send()]);
      expect([one.response.status, two.response.status]).toEqual([202, 202]);
      expect(two.data?.checkoutId).toBe(one.data?.checkoutId);
      await platform.settle();
      const checkedOut = await platform.eventLog.read({
        afterSeq: 0,
        types: ["ecommerce.cart.cart.checked_out.v1"],
        correlationId: one.data!.correlationId,
      });
      expect(checkedOut).toHaveLength(1);
      expect((await stockOf(productId)).available).toBe(4);
    });

    it("refuses mutations without a token (401) and hides another customer's order (404)", async () => {
      const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
      expect((await anonymous.cart.createCart({ body: {} })).response.status).toBe(401);

      const { client } = await shop.register();
      const productId = await productWithStock(2, 4);
      const mine = await checkout(client, productId);
      const stranger = await shop.register();
      const peek = await stranger.client.order.getOrder({ params: { path: { orderId: mine.order!.orderId } } });
      expect([403, 404]).toContain(peek.response.status);
    });
  });

  describe("200 concurrent checkouts of a product with 10 copies", () => {
    it("yield exactly 10 paid orders, 190 failed ones that charged nothing, the stock exact and nothing dead-lettered", async () => {
      // In-process (platform.fetch): what runs at once is the checkouts and their sagas on the stores, not 200
      // sockets of this process queueing behind each other.
      const inProcess = shopAt(platform);
      const productId = await productWithStock(10, 5);
      const shoppers = await Promise.all(
        Array.from({ length: 200 }, (_, index) => inProcess.register({ email: `rush${index}@example.com` })),
      );
      // Every cart filled beforehand, so that what runs at once is the 200 checkouts and their sagas.
      const carts = await Promise.all(shoppers.map(({ client }) => readyCart(client, productId)));
      const accepted = await Promise.all(
        carts.map(async ({ cartId, body }, index) => {
          const { data, error } = await shoppers[index]!.client.cart.checkoutCart({
            params: { path: { cartId } },
            body,
          });
          if (!data) throw new Error(`checkout refused: ${JSON.stringify(error)}`);
          return data;
        }),
      );
      await platform.settle();

      const ends = await Promise.all(
        accepted.map(async ({ checkoutId }, index) => {
          const { client } = shoppers[index]!;
          const { data: view } = await client.order.getCheckout({ params: { path: { checkoutId } } });
          const order = view?.orderId
            ? (await client.order.getOrder({ params: { path: { orderId: view.orderId } } })).data
            : undefined;
          return { state: view?.state, failure: view?.failure?.code, status: order?.status };
        }),
      );
      expect(ends.filter((end) => end.state === "COMPLETED" && end.status === "PAID")).toHaveLength(10);
      const failed = ends.filter((end) => end.state === "FAILED");
      expect(failed).toHaveLength(190);
      expect(failed.filter((end) => end.failure === undefined || end.status !== undefined)).toEqual([]);
      expect(await stockOf(productId)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });

      // Payment was asked only for the ten that got their copy, and took each once.
      const ours = new Set(accepted.map((checkout) => checkout.correlationId));
      const payments = await platform.eventLog.read({
        afterSeq: 0,
        types: ["ecommerce.payment.payment.authorized.v1", "ecommerce.payment.payment.failed.v1"],
        limit: 10_000,
      });
      const authorized = payments.filter((event) => ours.has(event.correlationId));
      expect(authorized.map((event) => event.eventType)).toEqual(
        Array.from({ length: 10 }, () => "ecommerce.payment.payment.authorized.v1"),
      );
      await expectEveryContextCaughtUp();
    }, 300_000);
  });
});
