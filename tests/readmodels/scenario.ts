import { createClient, type EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import type { Platform } from "@ecom/simulator";

/** A quiet logger for tests: errors only. */
export const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields),
};

/** An SDK client served in-process by `platform`, with `token` when given. */
export function clientOf(platform: Platform, token?: string): EcomClient {
  return createClient({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    retry: { maxAttempts: 1 },
    ...(token === undefined ? {} : { token }),
  });
}

/** A signed-in client and its customer id. */
export interface Shopper {
  readonly client: EcomClient;
  readonly customerId: string;
}

/** Log in as the dev admin. */
export async function adminOf(platform: Platform): Promise<Shopper> {
  return login(platform, devAccounts.admin.email, devAccounts.admin.password);
}

async function login(platform: Platform, email: string, password: string): Promise<Shopper> {
  const { data, error } = await clientOf(platform).customer.login({ body: { email, password } });
  if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
  return { client: clientOf(platform, data.accessToken), customerId: data.customerId };
}

/** Log in again as the customer `registerShopper(platform, index)` made (tokens expire as the clock moves). */
export async function loginShopper(platform: Platform, index: number): Promise<Shopper> {
  return login(platform, `reader${index}@example.com`, "a-long-enough-password");
}

/** Register a customer named by `index` (the same name for the same index: runs stay reproducible) with an address. */
export async function registerShopper(platform: Platform, index: number): Promise<Shopper> {
  const email = `reader${index}@example.com`;
  const password = "a-long-enough-password";
  const { error } = await clientOf(platform).customer.registerCustomer({
    body: { email, password, firstName: "Reader", lastName: `Number${index}` },
  });
  if (error) throw new Error(`register failed: ${JSON.stringify(error)}`);
  const shopper = await login(platform, email, password);
  const { error: addressError } = await shopper.client.customer.addMyAddress({
    body: {
      label: "HOME",
      isDefault: true,
      address: {
        name: `Reader ${index}`,
        line1: "1 Test Street",
        city: "Springfield",
        postalCode: "12345",
        country: "US",
      },
    },
  });
  if (addressError) throw new Error(`address failed: ${JSON.stringify(addressError)}`);
  return shopper;
}

/** Check out a cart of `items` (product id → quantity) and wait for the saga; resolves with the order id. */
export async function checkout(
  platform: Platform,
  shopper: Shopper,
  items: Readonly<Record<string, number>>,
): Promise<string> {
  const { client } = shopper;
  const { data: cart } = await client.cart.createCart({ body: {} });
  for (const [productId, quantity] of Object.entries(items)) {
    const { error } = await client.cart.addCartItem({
      params: { path: { cartId: cart!.cartId } },
      body: { productId, quantity },
    });
    if (error) throw new Error(`add to cart failed: ${JSON.stringify(error)}`);
  }
  const { data: method } = await client.payment.tokenizePaymentMethod({
    body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Test Reader" },
  });
  const { data: addresses } = await client.customer.listMyAddresses({});
  const accepted = await client.cart.checkoutCart({
    params: { path: { cartId: cart!.cartId } },
    body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
  });
  if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
  await platform.settle();
  const { data: view } = await client.order.getCheckout({ params: { path: { checkoutId: accepted.data.checkoutId } } });
  if (view?.state !== "COMPLETED" || !view.orderId)
    throw new Error(`checkout did not complete: ${JSON.stringify(view)}`);
  return view.orderId;
}

/** The first `count` active products of the seeded catalog, as the catalog lists them. */
export async function someProducts(platform: Platform, count: number): Promise<string[]> {
  const { data } = await clientOf(platform).catalog.listProducts({ params: { query: { limit: count } } });
  return data!.items.map((product) => product.productId);
}

/** Move a paid order through FULFILLED and SHIPPED to DELIVERED by hand, as an admin may. */
export async function deliver(platform: Platform, admin: Shopper, orderId: string): Promise<void> {
  for (const status of ["FULFILLED", "SHIPPED", "DELIVERED"] as const) {
    const { error } = await admin.client.order.updateOrderStatus({
      params: { path: { orderId } },
      body: status === "SHIPPED" ? { status, carrier: "ups", trackingNumber: `1Z${orderId.slice(-8)}` } : { status },
    });
    if (error) throw new Error(`${status} failed: ${JSON.stringify(error)}`);
  }
  await platform.settle();
}
