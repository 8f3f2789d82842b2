import { Code, ConnectError } from "@connectrpc/connect";
import { createClient, type EcomClient } from "@ecom/sdk";
import { restContexts } from "@ecom/sdk/contracts";
import { paymentV1 } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SecurityKit, startKit } from "./security-kit.js";

// Ownership on every path: another customer's card token, cart, address or order is not found to a customer,
// whichever operation names it, including the paths that go through the Checkout Saga's RPCs.

let kit: SecurityKit;
let alice: Shopper;
let bob: Shopper;

interface Shopper {
  readonly client: EcomClient;
  readonly customerId: string;
  readonly addressId: string;
  readonly paymentToken: string;
}

async function shopper(name: string): Promise<Shopper> {
  const anonymous = createClient({ baseUrl: kit.url, retry: { maxAttempts: 1 } });
  const email = `${name}@example.com`;
  const password = "a-long-enough-password";
  await anonymous.customer.registerCustomer({ body: { email, password, firstName: name, lastName: "Shopper" } });
  const { data: session } = await anonymous.customer.login({ body: { email, password } });
  const client = createClient({ baseUrl: kit.url, token: session!.accessToken, retry: { maxAttempts: 1 } });
  const { data: address } = await client.customer.addMyAddress({
    body: {
      label: "HOME",
      isDefault: true,
      address: { name, line1: "1 Test Street", city: "Springfield", postalCode: "12345", country: "US" },
    },
  });
  const { data: method } = await client.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: name },
  });
  return {
    client,
    customerId: session!.customerId,
    addressId: address!.addressId,
    paymentToken: method!.paymentToken,
  };
}

async function cartWithABook(client: EcomClient): Promise<string> {
  const { data: products } = await client.catalog.listProducts({ params: { query: { limit: 1 } } });
  const { data: cart } = await client.cart.createCart({ body: {} });
  await client.cart.addCartItem({
    params: { path: { cartId: cart!.cartId } },
    body: { productId: products!.items[0]!.productId, quantity: 1 },
  });
  return cart!.cartId;
}

/** Payments recorded against a card token, from the event log. */
async function paymentsWith(paymentToken: string): Promise<unknown[]> {
  await kit.platform.settle();
  const events = await kit.platform.eventLog.read({
    afterSeq: 0,
    types: ["ecommerce.payment.payment.authorized.v1"],
    limit: 10_000,
  });
  return events.filter((event) => event.envelope.includes(paymentToken));
}

beforeAll(async () => {
  kit = await startKit();
  alice = await shopper("alice");
  bob = await shopper("bob");
});
afterAll(async () => {
  await kit.close();
});

describe("finding 2: a customer could pay with another customer's card token", () => {
  it("a checkout of Bob's cart with Alice's token fails and never charges Alice's card", async () => {
    const cartId = await cartWithABook(bob.client);
    const accepted = await bob.client.cart.checkoutCart({
      params: { path: { cartId } },
      body: { shippingAddressId: bob.addressId, paymentToken: alice.paymentToken },
    });
    await kit.platform.settle();
    const { data: view } = await bob.client.order.getCheckout({
      params: { path: { checkoutId: accepted.data!.checkoutId } },
    });
    expect(view?.state).toBe("FAILED");
    expect(await paymentsWith(alice.paymentToken)).toEqual([]);
  });

  it("the same checkout with Bob's own token completes (the check does not refuse the owner)", async () => {
    const cartId = await cartWithABook(bob.client);
    const accepted = await bob.client.cart.checkoutCart({
      params: { path: { cartId } },
      body: { shippingAddressId: bob.addressId, paymentToken: bob.paymentToken },
    });
    await kit.platform.settle();
    const { data: view } = await bob.client.order.getCheckout({
      params: { path: { checkoutId: accepted.data!.checkoutId } },
    });
    expect(view?.state).toBe("COMPLETED");
  });

  it("POST /payments with another customer's token is not found", async () => {
    const { response } = await bob.client.payment.createPayment({
      body: {
        orderId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A",
        amount: { amount: 100, currency: "USD" },
        paymentToken: alice.paymentToken,
      } as never,
    });
    expect(response.status).toBe(404);
  });
});

describe("PaymentService/Authorize with customer_id", () => {
  const authorize = (paymentToken: string, customerId: string) =>
    kit.platform.rpc.payment
      .authorize({
        subject: { case: "checkoutId", value: kit.ids.next("chk") },
        amount: { amountMinor: 100n, currency: "USD" },
        paymentToken,
        customerId,
        idempotencyKey: `test:${kit.ids.next("key")}`,
      })
      .then(
        (response) => response.status,
        (error: unknown) => ConnectError.from(error).code,
      );

  it("refuses another customer's token as invalid_argument, like a token never issued", async () => {
    expect(await authorize(alice.paymentToken, bob.customerId)).toBe(Code.InvalidArgument);
  });

  it("authorizes the owner's token", async () => {
    expect(await authorize(alice.paymentToken, alice.customerId)).toBe(paymentV1.PaymentStatus.AUTHORIZED);
  });
});

describe("another customer's things are not found", () => {
  it("Alice's cart, address and checkout are 404 to Bob", async () => {
    const cartId = await cartWithABook(alice.client);
    expect((await bob.client.cart.getCart({ params: { path: { cartId } } })).response.status).toBe(404);
    const checkout = await bob.client.cart.checkoutCart({
      params: { path: { cartId } },
      body: { shippingAddressId: bob.addressId, paymentToken: bob.paymentToken },
    });
    expect(checkout.response.status).toBe(404);
    const address = await bob.client.customer.getMyAddress({ params: { path: { addressId: alice.addressId } } });
    expect(address.response.status).toBe(404);
  });

  it("a checkout of Bob's cart to Alice's address fails without an order", async () => {
    const cartId = await cartWithABook(bob.client);
    const accepted = await bob.client.cart.checkoutCart({
      params: { path: { cartId } },
      body: { shippingAddressId: alice.addressId, paymentToken: bob.paymentToken },
    });
    await kit.platform.settle();
    const { data: view } = await bob.client.order.getCheckout({
      params: { path: { checkoutId: accepted.data!.checkoutId } },
    });
    expect(view?.state).toBe("FAILED");
  });
});

describe("every customer-own operation that names one of Alice's things, called by Bob", () => {
  const operations = Object.values(restContexts).flatMap((binding) =>
    binding.operations.filter(
      (operation) =>
        operation.access === "customer-own" &&
        /\{(cartId|addressId|orderId|paymentId|checkoutId)\}/.test(operation.path),
    ),
  );

  it("finds nothing of hers and changes nothing", async () => {
    // Alice's things: a cart, an address, and a completed checkout with its order and payment.
    const cartId = await cartWithABook(alice.client);
    const paidCart = await cartWithABook(alice.client);
    const accepted = await alice.client.cart.checkoutCart({
      params: { path: { cartId: paidCart } },
      body: { shippingAddressId: alice.addressId, paymentToken: alice.paymentToken },
    });
    await kit.platform.settle();
    const checkoutId = accepted.data!.checkoutId;
    const orderId = (await alice.client.order.getCheckout({ params: { path: { checkoutId } } })).data!.orderId!;
    const paymentId = (await alice.client.order.getOrder({ params: { path: { orderId } } })).data!.paymentId!;
    const hers: Record<string, string> = { cartId, addressId: alice.addressId, orderId, paymentId, checkoutId };

    const before = await kit.stateHash();
    const answers: Record<string, number> = {};
    for (const operation of operations) {
      const path = operation.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => hers[name] ?? "x");
      const body = operation.requestBody ? JSON.stringify(operation.requestBody.example ?? {}) : undefined;
      const response = await fetch(`${kit.url}${path}`, {
        method: operation.method,
        headers: {
          authorization: `Bearer ${kit.token(bob.customerId)}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body }),
      });
      await response.arrayBuffer();
      answers[`${operation.method} ${operation.path}`] = response.status;
    }
    expect(operations.length).toBeGreaterThan(10);
    // 404 for what is hers; 400 where the example body does not fit her thing (never a success, never a 5xx).
    const wrong = Object.entries(answers).filter(([, status]) => status !== 404 && status !== 400);
    expect(wrong).toEqual([]);
    expect(Object.values(answers).filter((status) => status === 404).length).toBeGreaterThan(operations.length / 2);
    expect(await kit.stateHash()).toBe(before);
  });
});
