import { createClient, type EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import type { Platform } from "@ecom/simulator";

/** Shopping helpers for end-to-end tests over a platform's in-process fetch (the gateway validates every request). */

/** A logger that stays quiet but for errors. */
export const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: unknown) => console.error(message, fields),
};

/** A signed-in client and who it is. */
export interface Shopper {
  readonly client: EcomClient;
  readonly customerId: string;
  readonly email: string;
}

/** Helpers bound to one platform. */
export function shopAt(platform: Platform) {
  const baseUrl = "http://ecom.test";
  const anonymous = () => createClient({ baseUrl, fetch: platform.fetch, retry: { maxAttempts: 1 } });

  const login = async (email: string, password: string): Promise<Shopper> => {
    const { data, error } = await anonymous().customer.login({ body: { email, password } });
    if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
    return {
      client: createClient({ baseUrl, fetch: platform.fetch, token: data.accessToken, retry: { maxAttempts: 1 } }),
      customerId: data.customerId,
      email,
    };
  };

  let registered = 0;
  /** A new customer with a default address. */
  const register = async (): Promise<Shopper> => {
    registered += 1;
    const email = `shopper${registered}@example.com`;
    const { error } = await anonymous().customer.registerCustomer({
      body: { email, password: "a-long-enough-password", firstName: "Shopper", lastName: `Number${registered}` },
    });
    if (error) throw new Error(`register failed: ${JSON.stringify(error)}`);
    const shopper = await login(email, "a-long-enough-password");
    const { error: addressError } = await shopper.client.customer.addMyAddress({
      body: {
        label: "HOME",
        isDefault: true,
        address: { name: "Shopper", line1: "1 Test Street", city: "Springfield", postalCode: "12345", country: "US" },
      },
    });
    if (addressError) throw new Error(`address failed: ${JSON.stringify(addressError)}`);
    return shopper;
  };

  const admin = () => login(devAccounts.admin.email, devAccounts.admin.password);
  /** The same customer signed in again (tokens expire as the virtual clock moves). */
  const relogin = (shopper: Shopper) => login(shopper.email, "a-long-enough-password");

  /** Check out `quantity` copies of the `index`-th seeded book and wait for the order to be paid. */
  const paidOrder = async (shopper: Shopper, options: { readonly quantity?: number; readonly index?: number } = {}) => {
    const { client } = shopper;
    const { data: products } = await client.catalog.listProducts({ params: { query: { limit: 50 } } });
    const { data: stock } = await client.inventory.batchGetStockLevels({
      params: { query: { productIds: products!.items.map((product) => product.productId) } },
    });
    // The index-th book with enough copies, so tests that pick different indexes buy different books.
    const stocked = stock!.levels.filter((level) => level.available >= (options.quantity ?? 1) + 2);
    const product = { productId: stocked[options.index ?? 0]!.productId };
    const { data: cart } = await client.cart.createCart({ body: {} });
    await client.cart.addCartItem({
      params: { path: { cartId: cart!.cartId } },
      body: { productId: product.productId, quantity: options.quantity ?? 1 },
    });
    const { data: method } = await client.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Test Shopper" },
    });
    const { data: addresses } = await client.customer.listMyAddresses({});
    const accepted = await client.cart.checkoutCart({
      params: { path: { cartId: cart!.cartId } },
      body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
    });
    if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
    await platform.settle();
    const { data: view } = await client.order.getCheckout({
      params: { path: { checkoutId: accepted.data.checkoutId } },
    });
    if (!view?.orderId || view.state !== "COMPLETED") throw new Error(`checkout did not complete: ${view?.state}`);
    return { orderId: view.orderId, correlationId: accepted.data.correlationId, productId: product.productId };
  };

  /** The events of one flow, oldest first. */
  const flow = async (correlationId: string) =>
    (await platform.eventLog.read({ afterSeq: 0, correlationId, limit: 1000 })).map((event) => ({
      ...event,
      envelope: JSON.parse(event.envelope) as { payload: Record<string, unknown>; causationId?: string },
    }));

  return { anonymous, login, register, admin, relogin, paidOrder, flow };
}
