import { createClient, type MessagePayloads, type MessageType } from "@ecom/sdk";
import type { catalogV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, defineContext } from "@ecom/services/platform";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cartContext } from "../../packages/services/src/cart/index.js";
import { catalogContext } from "../../packages/services/src/catalog/index.js";
import { customerContext, DEV_ADMIN } from "../../packages/services/src/customer/index.js";

const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields),
};

// --- Test double --------------------------------------------------------------------------------------------------
// The real customer and catalog contexts run; the order context's Checkout Saga is stood in for by a context that
// publishes the saga's end on demand, so each outcome can be tested alone.

const NOWHERE = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z9Z";

type NoTables = Record<string, never>;

/** Stands in for the order context: ends a checkout the way the Checkout Saga would. */
function testSaga() {
  let runtime: ContextRuntime<NoTables> | undefined;
  const publish = <TType extends MessageType>(type: TType, payload: MessagePayloads[TType], checkoutId: string) =>
    runtime!.db
      .transaction()
      .execute((trx) =>
        runtime!.outbox.publish(trx, type, payload, { partitionKey: checkoutId, correlationId: checkoutId }),
      );
  return {
    context: defineContext<NoTables>({
      name: "order",
      migrations: {},
      create(given) {
        runtime = given;
        return {};
      },
    }),
    fail: (checkout: { checkoutId: string; cartId: string; customerId: string }) =>
      publish(
        "ecommerce.order.checkout.failed.v1",
        {
          ...checkout,
          failure: { step: "authorize_payment", code: "card_declined", message: "The card was declined." },
          compensations: [],
          failedAt: runtime!.clock.now().toISOString(),
        },
        checkout.checkoutId,
      ),
    complete: (checkout: { checkoutId: string; cartId: string; customerId: string }) =>
      publish(
        "ecommerce.order.checkout.completed.v1",
        {
          ...checkout,
          orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R",
          paymentId: "pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P",
          total: { amount: 9198, currency: "USD" },
          completedAt: runtime!.clock.now().toISOString(),
        },
        checkout.checkoutId,
      ),
  };
}

// --- Harness ------------------------------------------------------------------------------------------------------

let platform: Platform;
let saga: ReturnType<typeof testSaga>;
/** Three books on sale from the seeded catalog, and their prices. */
let A: string;
let B: string;
let C: string;
const price = new Map<string, number>();

beforeEach(async () => {
  saga = testSaga();
  platform = await createPlatform({
    contexts: [customerContext, catalogContext, cartContext, saga.context],
    memory: true,
    seed: 5,
    log: quiet,
  });
  const { products } = await platform.rpc.catalog.listProducts({ page: { pageSize: 20 } });
  const onSale = products.filter((product: catalogV1.Product) => product.price?.currency === "USD");
  [A, B, C] = onSale.map((product) => product.id) as [string, string, string];
  for (const product of onSale) price.set(product.id, Number(product.price!.amountMinor));
});
afterEach(async () => {
  await platform.close();
});

const client = (token?: string) =>
  createClient({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    retry: { maxAttempts: 1 },
    ...(token === undefined ? {} : { token }),
  });

let registered = 0;
/** A new customer, signed in through the customer context's REST API. */
async function customer() {
  registered += 1;
  const email = `cart-reader${registered}@example.org`;
  const password = "correct-horse-battery-staple";
  const { data } = await client().customer.registerCustomer({
    body: { email, password, firstName: "Ada", lastName: "Lovelace" },
  });
  const signIn = async () => (await client().customer.login({ body: { email, password } })).data!.accessToken;
  return { customerId: data!.customer.customerId, token: data!.tokens.accessToken, signIn };
}

const p = (productId: string) => price.get(productId)!;

async function admin() {
  return (await client().customer.login({ body: { email: DEV_ADMIN.email, password: DEV_ADMIN.password } })).data!
    .accessToken;
}

async function eventsOf<TType extends MessageType>(type: TType) {
  await platform.settle();
  return (await platform.eventLog.read({ afterSeq: 0, types: [type], limit: 10_000 })).map(
    (event) =>
      JSON.parse(event.envelope) as {
        eventId: string;
        correlationId: string;
        causationId?: string;
        partitionKey: string;
        payload: MessagePayloads[TType];
      },
  );
}

/** An open cart of a new customer holding two C books. */
async function cartWithBooks() {
  const buyer = await customer();
  const api = client(buyer.token).cart;
  const { data: cart } = await api.createCart({ body: { currency: "USD" } });
  await api.addCartItem({ params: { path: { cartId: cart!.cartId } }, body: { productId: A, quantity: 2 } });
  return { buyer, api, cartId: cart!.cartId };
}

const checkoutBody = {
  shippingAddressId: "adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F",
  paymentToken: "tok_01JH8Z3Q4R5S6T7V8W9X0Y1Z32",
  couponCode: "WELCOME10",
};

// --- Tests --------------------------------------------------------------------------------------------------------

describe("a cart's lifecycle", () => {
  it("opens one cart per customer, prices items from the catalog and keeps the subtotal", async () => {
    const buyer = await customer();
    const api = client(buyer.token).cart;

    const opened = await api.createCart({ body: { currency: "USD" } });
    expect(opened.response.status).toBe(201);
    const cartId = opened.data!.cartId;
    expect(cartId).toMatch(/^crt_/);
    expect(opened.response.headers.get("location")).toBe(`/carts/${cartId}`);
    expect(opened.data).toMatchObject({
      customerId: buyer.customerId,
      status: "OPEN",
      items: [],
      subtotal: { amount: 0, currency: "USD" },
      expiresAt: "2026-01-08T00:00:00.000Z",
    });
    const again = await api.createCart({});
    expect(again.response.status).toBe(200);
    expect(again.data!.cartId).toBe(cartId);

    const path = { cartId };
    await api.addCartItem({ params: { path }, body: { productId: A, quantity: 2 } });
    await api.addCartItem({ params: { path }, body: { productId: A, quantity: 1 } });
    const added = await api.addCartItem({ params: { path }, body: { productId: C, quantity: 1 } });
    expect(added.response.status).toBe(200);
    expect(added.data!.items).toMatchObject([
      {
        productId: A,
        isbn: expect.stringMatching(/^97[89]/),
        quantity: 3,
        unitPrice: { amount: p(A) },
        lineTotal: { amount: 3 * p(A) },
      },
      { productId: C, quantity: 1, unitPrice: { amount: p(C) }, lineTotal: { amount: p(C) } },
    ]);
    expect(added.data!.subtotal).toEqual({ amount: 3 * p(A) + p(C), currency: "USD" });

    const itemC = added.data!.items[1]!.itemId;
    const updated = await api.updateCartItem({ params: { path: { cartId, itemId: itemC } }, body: { quantity: 4 } });
    expect(updated.data!.subtotal.amount).toBe(3 * p(A) + 4 * p(C));
    const removed = await api.removeCartItem({ params: { path: { cartId, itemId: itemC } } });
    expect(removed.data!.items.map((item) => item.productId)).toEqual([A]);
    expect((await api.getCart({ params: { path } })).data!.subtotal.amount).toBe(3 * p(A));

    const added_ = await eventsOf("ecommerce.cart.cart.item_added.v1");
    // Adding 2, then 1 more, then C, then raising C to 4: each carries the quantity after the change.
    expect(added_.map((event) => [event.payload.productId, event.payload.quantity])).toEqual([
      [A, 2],
      [A, 3],
      [C, 1],
      [C, 4],
    ]);
    expect(added_[0]).toMatchObject({ partitionKey: cartId, payload: { cartId, customerId: buyer.customerId } });
  });

  it("answers each added item with the very cart a read shows afterwards (new line, raised line)", async () => {
    const api = client((await customer()).token).cart;
    const path = { cartId: (await api.createCart({})).data!.cartId };
    for (const body of [
      { productId: C, quantity: 1 },
      { productId: A, quantity: 2 },
      { productId: C, quantity: 3 },
    ]) {
      const added = await api.addCartItem({ params: { path }, body });
      expect(added.response.status).toBe(200);
      expect(added.data).toEqual((await api.getCart({ params: { path } })).data);
    }
  });

  it("refuses a missing or discontinued product and a quantity past 99 with 422, changing nothing", async () => {
    const { api, cartId } = await cartWithBooks();
    const path = { cartId };
    const withdrawn = await client(await admin()).catalog.discontinueProduct({
      params: { path: { productId: B } },
      body: { reason: "OUT_OF_PRINT" },
    });
    expect(withdrawn.response.status).toBe(200);
    for (const body of [
      { productId: NOWHERE, quantity: 1 },
      { productId: B, quantity: 1 },
      { productId: A, quantity: 98 },
    ]) {
      const refused = await api.addCartItem({ params: { path }, body });
      expect(refused.response.status, body.productId).toBe(422);
    }
    expect((await api.addCartItem({ params: { path }, body: { productId: A, quantity: 100 } })).response.status).toBe(
      400,
    );
    const cart = (await api.getCart({ params: { path } })).data!;
    expect(cart.items.map((item) => [item.productId, item.quantity])).toEqual([[A, 2]]);
  });

  it("answers 404 for another customer's cart, and shows any cart to an admin", async () => {
    const { cartId } = await cartWithBooks();
    const other = client((await customer()).token).cart;
    const path = { cartId };
    expect((await other.getCart({ params: { path } })).response.status).toBe(404);
    expect((await other.addCartItem({ params: { path }, body: { productId: C, quantity: 1 } })).response.status).toBe(
      404,
    );
    expect((await other.checkoutCart({ params: { path }, body: checkoutBody })).response.status).toBe(404);
    expect((await client().cart.getCart({ params: { path } })).response.status).toBe(401);

    const seen = await client(await admin()).cart.getCart({ params: { path } });
    expect(seen.response.status).toBe(200);
    expect(seen.data!.items).toHaveLength(1);
  });
});

describe("checkout", () => {
  it("freezes the cart and publishes cart.checked_out correlated by the checkout id, in one step", async () => {
    const { buyer, api, cartId } = await cartWithBooks();
    const path = { cartId };

    const accepted = await api.checkoutCart({ params: { path }, body: checkoutBody });
    expect(accepted.response.status).toBe(202);
    const checkoutId = accepted.data!.checkoutId;
    expect(checkoutId).toMatch(/^chk_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(accepted.data).toEqual({ checkoutId, cartId, correlationId: checkoutId, status: "CHECKED_OUT" });
    expect(accepted.response.headers.get("location")).toBe(`/checkouts/${checkoutId}`);

    const [event, ...more] = await eventsOf("ecommerce.cart.cart.checked_out.v1");
    expect(more).toHaveLength(0);
    expect(event).toMatchObject({ correlationId: checkoutId, partitionKey: cartId });
    expect(event!.causationId).toBeUndefined();
    expect(event!.payload).toEqual({
      checkoutId,
      cartId,
      customerId: buyer.customerId,
      currency: "USD",
      items: [{ productId: A, quantity: 2, unitPrice: { amount: p(A), currency: "USD" } }],
      subtotal: { amount: 2 * p(A), currency: "USD" },
      ...checkoutBody,
    });

    expect((await api.getCart({ params: { path } })).data!.status).toBe("CHECKED_OUT");
    expect((await api.addCartItem({ params: { path }, body: { productId: C, quantity: 1 } })).response.status).toBe(
      409,
    );
    expect((await api.checkoutCart({ params: { path }, body: checkoutBody })).response.status).toBe(409);
  });

  it("refuses an empty cart with 409", async () => {
    const api = client((await customer()).token).cart;
    const { data } = await api.createCart({});
    const refused = await api.checkoutCart({ params: { path: { cartId: data!.cartId } }, body: checkoutBody });
    expect(refused.response.status).toBe(409);
    expect(await eventsOf("ecommerce.cart.cart.checked_out.v1")).toHaveLength(0);
  });

  it("reopens the cart unchanged when the checkout fails, so it can be changed and checked out again", async () => {
    const { buyer, api, cartId } = await cartWithBooks();
    const path = { cartId };
    const { data } = await api.checkoutCart({ params: { path }, body: checkoutBody });
    await saga.fail({ checkoutId: data!.checkoutId, cartId, customerId: buyer.customerId });
    await platform.settle();

    const reopened = (await api.getCart({ params: { path } })).data!;
    expect(reopened.status).toBe("OPEN");
    expect(reopened.items.map((item) => [item.productId, item.quantity])).toEqual([[A, 2]]);
    expect((await api.addCartItem({ params: { path }, body: { productId: C, quantity: 1 } })).response.status).toBe(
      200,
    );
    const second = await api.checkoutCart({ params: { path }, body: checkoutBody });
    expect(second.response.status).toBe(202);
    expect(second.data!.checkoutId).not.toBe(data!.checkoutId);
  });

  it("converts the cart when the checkout completes, and the next createCart opens a new one", async () => {
    const { buyer, api, cartId } = await cartWithBooks();
    const { data } = await api.checkoutCart({ params: { path: { cartId } }, body: checkoutBody });
    // A failure of an older checkout arriving late must not reopen the cart of a newer one.
    await saga.fail({ checkoutId: "chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S", cartId, customerId: buyer.customerId });
    await saga.complete({ checkoutId: data!.checkoutId, cartId, customerId: buyer.customerId });
    await platform.settle();

    expect((await api.getCart({ params: { path: { cartId } } })).data!.status).toBe("CONVERTED");
    const next = await api.createCart({});
    expect(next.response.status).toBe(201);
    expect(next.data!.cartId).not.toBe(cartId);
  });
});

describe("catalog changes", () => {
  it("follows price changes in open carts and refuses to check out a discontinued book", async () => {
    const { api, cartId } = await cartWithBooks();
    const path = { cartId };
    const catalog = client(await admin()).catalog;
    const changed = await catalog.changeProductPrice({
      params: { path: { productId: A } },
      body: { price: { amount: p(A) + 101, currency: "USD" }, reason: "STANDARD" },
    });
    expect(changed.response.status).toBe(200);
    await platform.settle();
    const repriced = (await api.getCart({ params: { path } })).data!;
    expect(repriced.items[0]!.unitPrice.amount).toBe(p(A) + 101);
    expect(repriced.subtotal.amount).toBe(2 * (p(A) + 101));

    await catalog.discontinueProduct({ params: { path: { productId: A } }, body: { reason: "OUT_OF_PRINT" } });
    await platform.settle();
    const refused = await api.checkoutCart({ params: { path }, body: checkoutBody });
    expect(refused.response.status).toBe(422);
    expect(refused.error).toMatchObject({ code: "unprocessable" });
    expect((await api.getCart({ params: { path } })).data!.status).toBe("OPEN");
  });
});

describe("expiry", () => {
  it("expires a cart idle for 7 days on the virtual clock and publishes cart.expired", async () => {
    const { buyer, cartId } = await cartWithBooks();
    await platform.advanceClock(7 * 86_400_000 - 60_000);
    // Access tokens last an hour on the same clock: sign in again after moving it.
    expect((await client(await buyer.signIn()).cart.getCart({ params: { path: { cartId } } })).data!.status).toBe(
      "OPEN",
    );
    expect(await eventsOf("ecommerce.cart.cart.expired.v1")).toHaveLength(0);

    await platform.advanceClock(60_000);
    const expired = await eventsOf("ecommerce.cart.cart.expired.v1");
    expect(expired.map((event) => event.payload)).toEqual([
      { cartId, customerId: buyer.customerId, itemCount: 1, lastActivityAt: "2026-01-01T00:00:00.000Z" },
    ]);
    expect(expired[0]!.correlationId).toBe(cartId);

    const api = client(await buyer.signIn()).cart;
    expect((await api.getCart({ params: { path: { cartId } } })).data!.status).toBe("EXPIRED");
    expect(
      (await api.addCartItem({ params: { path: { cartId } }, body: { productId: C, quantity: 1 } })).response.status,
    ).toBe(409);
    const fresh = await api.createCart({});
    expect(fresh.response.status).toBe(201);
    expect(fresh.data!.cartId).not.toBe(cartId);
  });

  it("does not expire a cart whose checkout is under way", async () => {
    const { buyer, api, cartId } = await cartWithBooks();
    await api.checkoutCart({ params: { path: { cartId } }, body: checkoutBody });
    await platform.advanceClock(8 * 86_400_000);
    expect(await eventsOf("ecommerce.cart.cart.expired.v1")).toHaveLength(0);
    const cart = await client(await buyer.signIn()).cart.getCart({ params: { path: { cartId } } });
    expect(cart.data!.status).toBe("CHECKED_OUT");
  });
});
