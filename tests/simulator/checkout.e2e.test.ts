import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// End to end over real HTTP: the SDK against `platform.listen(0)`, every context of the platform.

const quiet = { info() {}, warn() {}, error: (message: string, fields?: unknown) => console.error(message, fields) };
let platform: Platform;
let baseUrl: string;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 42, log: quiet });
  baseUrl = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

async function login(email: string, password: string): Promise<{ client: EcomClient; customerId: string }> {
  const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
  const { data, error } = await anonymous.customer.login({ body: { email, password } });
  if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
  return {
    client: createClient({ baseUrl, token: data.accessToken, retry: { maxAttempts: 1 } }),
    customerId: data.customerId,
  };
}

async function register(index: number): Promise<EcomClient> {
  const email = `shopper${index}.${Date.now()}@example.com`;
  const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
  const { error } = await anonymous.customer.registerCustomer({
    body: { email, password: "a-long-enough-password", firstName: "Shopper", lastName: `Number${index}` },
  });
  if (error) throw new Error(`register failed: ${JSON.stringify(error)}`);
  const { client } = await login(email, "a-long-enough-password");
  const { error: addressError } = await client.customer.addMyAddress({
    body: {
      label: "HOME",
      isDefault: true,
      address: {
        name: `Shopper ${index}`,
        line1: "1 Test Street",
        city: "Springfield",
        postalCode: "12345",
        country: "US",
      },
    },
  });
  if (addressError) throw new Error(`address failed: ${JSON.stringify(addressError)}`);
  return client;
}

async function admin(): Promise<EcomClient> {
  return (await login(devAccounts.admin.email, devAccounts.admin.password)).client;
}

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
      body: { delta, reason: "CORRECTION", note: "test setup" } as never,
    });
    if (error) throw new Error(`adjust failed: ${JSON.stringify(error)}`);
  }
  return product.productId;
}

async function available(productId: string): Promise<number> {
  const { data } = await (await admin()).inventory.getStockLevel({ params: { path: { productId } } });
  return data!.available;
}

/** Fill a cart and check out; resolves with the checkout's final state, its order and its events. */
async function checkout(
  client: EcomClient,
  productId: string,
  options: { card?: string; coupon?: string; quantity?: number; idempotencyKey?: string } = {},
) {
  const { data: cart } = await client.cart.createCart({ body: {} });
  await client.cart.addCartItem({
    params: { path: { cartId: cart!.cartId } },
    body: { productId, quantity: options.quantity ?? 1 },
  });
  const { data: method } = await client.payment.tokenizePaymentMethod({
    body: {
      cardNumber: options.card ?? "4242424242424242",
      expMonth: 12,
      expYear: 2030,
      cvc: "123",
      holderName: "Test Shopper",
    },
  });
  const { data: addresses } = await client.customer.listMyAddresses({});
  const body = {
    shippingAddressId: addresses!.items[0]!.addressId,
    paymentToken: method!.paymentToken,
    ...(options.coupon ? { couponCode: options.coupon } : {}),
  };
  const accepted = await client.cart.checkoutCart({
    params: {
      path: { cartId: cart!.cartId },
      ...(options.idempotencyKey ? { header: { "Idempotency-Key": options.idempotencyKey } } : {}),
    },
    body,
  });
  if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
  await platform.settle();
  const { data: view } = await client.order.getCheckout({ params: { path: { checkoutId: accepted.data.checkoutId } } });
  const order =
    view?.orderId && view.state === "COMPLETED"
      ? (await client.order.getOrder({ params: { path: { orderId: view.orderId } } })).data
      : undefined;
  const events = await platform.eventLog.read({ afterSeq: 0, correlationId: accepted.data.correlationId, limit: 1000 });
  return {
    cartId: cart!.cartId,
    body,
    accepted: accepted.data,
    checkout: view!,
    order,
    events: events.map((event) => ({ ...event, envelope: JSON.parse(event.envelope) })),
  };
}

describe("a checkout end to end", () => {
  it("ends with a PAID order, stock decremented, the discount applied and the saga's events in causal order under one correlation id", async () => {
    const client = await register(1001);
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
    expect(await available(productId)).toBe(3);

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
  });

  it("with a declining card ends with no order, the stock restored and nothing captured", async () => {
    const client = await register(1002);
    const productId = await productWithStock(3, 1);
    const result = await checkout(client, productId, { card: "4000000000000002" });

    expect(result.checkout.state).toBe("FAILED");
    expect(result.checkout.failure?.code).toBeDefined();
    expect(result.order).toBeUndefined();
    expect(await available(productId)).toBe(3);
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
    const client = await register(1003);
    const productId = await productWithStock(1, 2);
    const result = await checkout(client, productId, { quantity: 2 });

    expect(result.checkout.state).toBe("FAILED");
    expect(result.order).toBeUndefined();
    expect(result.events.map((event) => event.producer)).not.toContain("payment");
    expect(await available(productId)).toBe(1);
  });

  it("sent twice with one Idempotency-Key yields one checkout; with another body under that key, 422", async () => {
    const client = await register(1004);
    const productId = await productWithStock(5, 3);
    const first = await checkout(client, productId, { idempotencyKey: "checkout-key-0001" });
    const again = await client.cart.checkoutCart({
      params: { path: { cartId: first.cartId }, header: { "Idempotency-Key": "checkout-key-0001" } },
      body: first.body,
    });
    expect(again.response.status).toBe(202);
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

  it("refuses mutations without a token (401) and hides another customer's order (404)", async () => {
    const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
    expect((await anonymous.cart.createCart({ body: {} })).response.status).toBe(401);

    const client = await register(1005);
    const productId = await productWithStock(2, 4);
    const mine = await checkout(client, productId);
    const stranger = await register(2000);
    const peek = await stranger.order.getOrder({ params: { path: { orderId: mine.order!.orderId } } });
    expect([403, 404]).toContain(peek.response.status);
  });
});

describe("200 concurrent checkouts of a product with 10 copies", () => {
  it("yield exactly 10 paid orders and stock never below zero", async () => {
    const productId = await productWithStock(10, 5);
    const shoppers = await Promise.all(Array.from({ length: 200 }, (_, index) => register(index + 1)));
    const results = await Promise.all(shoppers.map((client) => checkout(client, productId)));
    const paid = results.filter((result) => result.order?.status === "PAID");
    expect(paid).toHaveLength(10);
    expect(results.filter((result) => result.checkout.state === "FAILED")).toHaveLength(190);
    expect(await available(productId)).toBe(0);
    const { data: level } = await (await admin()).inventory.getStockLevel({ params: { path: { productId } } });
    expect(level!.onHand).toBeGreaterThanOrEqual(0);
    expect(level!.reserved).toBe(0);
  }, 120_000);
});
