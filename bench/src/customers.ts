import { createClient, type EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";

/** A customer ready to check out: signed in, with an address, a card and a book of their own in stock. */
export interface BenchCustomer {
  readonly client: EcomClient;
  readonly token: string;
  readonly productId: string;
  readonly addressId: string;
  readonly paymentToken: string;
}

function data<T>(what: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new Error(`${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

/** Register `count` customers through REST and stock a book for each (as the admin), so none waits on another's row. */
export async function prepareCustomers(baseUrl: string, count: number): Promise<BenchCustomer[]> {
  const anonymous = createClient({ baseUrl });
  const adminSession = data(
    "admin login",
    await anonymous.customer.login({ body: { email: devAccounts.admin.email, password: devAccounts.admin.password } }),
  );
  const admin = createClient({ baseUrl, token: adminSession.accessToken });
  const page = data("listing products", await admin.catalog.listProducts({ params: { query: { limit: count } } }));
  const customers: BenchCustomer[] = [];
  for (let index = 0; index < count; index++) {
    const product = page.items[index % page.items.length]!;
    data(
      "restocking",
      await admin.inventory.adjustStock({
        params: { path: { productId: product.productId } },
        body: { delta: 100_000, reason: "RESTOCK", note: "bench" },
      }),
    );
    const email = `bench-${index}-${Date.now()}@example.com`;
    const password = "bench-password-1";
    data(
      "registering",
      await anonymous.customer.registerCustomer({
        body: { email, password, firstName: "Bench", lastName: `No ${index}` },
      }),
    );
    const session = data("login", await anonymous.customer.login({ body: { email, password } }));
    const client = createClient({ baseUrl, token: session.accessToken });
    const address = data(
      "adding an address",
      await client.customer.addMyAddress({
        body: {
          label: "HOME",
          isDefault: true,
          address: {
            name: `Bench ${index}`,
            line1: "1 Main St",
            city: "Springfield",
            postalCode: "12345",
            country: "US",
          },
        },
      }),
    );
    const card = data(
      "tokenizing a card",
      await client.payment.tokenizePaymentMethod({
        body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: `Bench ${index}` },
      }),
    );
    customers.push({
      client,
      token: session.accessToken,
      productId: product.productId,
      addressId: address.addressId,
      paymentToken: card.paymentToken,
    });
  }
  return customers;
}

/** One checkout as a customer does it through REST: a cart, a book, check out, and the order once PAID. */
export async function checkOut(customer: BenchCustomer): Promise<void> {
  const { client } = customer;
  const cart = data("creating a cart", await client.cart.createCart({ body: {} }));
  data(
    "adding an item",
    await client.cart.addCartItem({
      params: { path: { cartId: cart.cartId } },
      body: { productId: customer.productId, quantity: 1 },
    }),
  );
  const accepted = data(
    "checking out",
    await client.cart.checkoutCart({
      params: { path: { cartId: cart.cartId } },
      body: { shippingAddressId: customer.addressId, paymentToken: customer.paymentToken },
    }),
  );
  // POST /orders waits (a few seconds at most) for the saga; on a busy machine it may answer 404 (the saga has not
  // heard of the checkout yet), 202 (the saga still runs) or a PENDING order (the capture still runs) first, and
  // the customer asks again.
  for (let attempt = 1; ; attempt++) {
    const result = await client.order.createOrder({ body: { checkoutId: accepted.checkoutId } });
    // 404 while the saga has not yet heard of the checkout (its event is still on the way, on a busy machine).
    if ((result.response.status === 202 || result.response.status === 404) && attempt < 20) continue;
    const answer = data("getting the order", result);
    let order = answer as { orderId: string; status: string };
    while (order.status === "PENDING") {
      order = data("reading the order", await client.order.getOrder({ params: { path: { orderId: order.orderId } } }));
    }
    if (order.status !== "PAID") throw new Error(`the order is ${order.status}`);
    return;
  }
}

/** The same customer talking to a server at another address (a restart on the same data folder). */
export function atUrl(customer: BenchCustomer, baseUrl: string): BenchCustomer {
  return { ...customer, client: createClient({ baseUrl, token: customer.token }) };
}
