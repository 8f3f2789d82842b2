import { createClient, type EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";
import type { Logger } from "@ecom/services/platform";
import type { Platform } from "@ecom/simulator";

/**
 * Shopping helpers for end-to-end tests: {@link shopAt} over a platform's in-process fetch (the gateway validates every
 * request), {@link shopThrough} over HTTP to a URL (`ecom gateway` in front of processes that settle on their own).
 */

/** A logger that stays quiet but for errors. */
export const quiet: Logger = {
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

/** What a checkout that {@link Shop.paidOrder} made ended with. */
export interface PaidOrder {
  readonly orderId: string;
  readonly correlationId: string;
  readonly productId: string;
}

/** What `paidOrder` buys: `quantity` copies (1) of `productId`, else of the `index`-th seeded book (0) with enough. */
export interface PaidOrderOptions {
  readonly quantity?: number;
  readonly index?: number;
  readonly productId?: string;
}

/** Helpers bound to one platform or URL. */
export interface Shop {
  /** A client without a token. */
  anonymous(): EcomClient;
  login(email: string, password: string): Promise<Shopper>;
  /** A new customer with a default address; `email` (else `shopper<n>@example.com`) is theirs. */
  register(options?: { readonly email?: string }): Promise<Shopper>;
  /** The seeded admin, signed in. */
  admin(): Promise<Shopper>;
  /** The same customer signed in again (tokens expire as the virtual clock moves). */
  relogin(shopper: Shopper): Promise<Shopper>;
  /** Check out and wait for the order to be paid; throws when the checkout is refused or does not complete. */
  paidOrder(shopper: Shopper, options?: PaidOrderOptions): Promise<PaidOrder>;
}

/** Helpers bound to one platform, served in-process; `paidOrder` settles the platform. */
export function shopAt(platform: Platform) {
  const shop = createShop({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    checkoutEnded: () => platform.settle(),
  });

  /** The events of one flow, oldest first. */
  const flow = async (correlationId: string) =>
    (await platform.eventLog.read({ afterSeq: 0, correlationId, limit: 1000 })).map((event) => ({
      ...event,
      envelope: JSON.parse(event.envelope) as { payload: Record<string, unknown>; causationId?: string },
    }));

  return { ...shop, flow };
}

/**
 * Helpers over HTTP to `baseUrl`. Nothing there can be settled from here, so `paidOrder` asks for the checkout until it
 * ends, as a client would.
 */
export function shopThrough(baseUrl: string): Shop {
  return createShop({
    baseUrl,
    checkoutEnded: async (client, checkoutId) => {
      await until(async () => {
        const { data } = await client.order.getCheckout({ params: { path: { checkoutId } } });
        return data?.state === "COMPLETED" || data?.state === "FAILED";
      }, `checkout ${checkoutId} ends`);
    },
  });
}

/**
 * Resolve once `check` holds, asking again every 100 ms (for what happens in other processes, which cannot be
 * settled); a minute without it throws, naming `what`.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ShopOptions {
  readonly baseUrl: string;
  /** The platform's in-process fetch; the global one when absent. */
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Resolve once the checkout has ended (completed or failed). */
  readonly checkoutEnded: (client: EcomClient, checkoutId: string) => Promise<void>;
}

function createShop({ baseUrl, fetch, checkoutEnded }: ShopOptions): Shop {
  const clientOptions = { baseUrl, retry: { maxAttempts: 1 }, ...(fetch ? { fetch } : {}) };
  const anonymous = () => createClient(clientOptions);

  const login = async (email: string, password: string): Promise<Shopper> => {
    const { data, error } = await anonymous().customer.login({ body: { email, password } });
    if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
    return { client: createClient({ ...clientOptions, token: data.accessToken }), customerId: data.customerId, email };
  };

  let registered = 0;
  const register = async (options: { readonly email?: string } = {}): Promise<Shopper> => {
    registered += 1;
    const email = options.email ?? `shopper${registered}@example.com`;
    const { data, error } = await anonymous().customer.registerCustomer({
      body: { email, password: "a-long-enough-password", firstName: "Shopper", lastName: `Number${registered}` },
    });
    if (!data) throw new Error(`register failed: ${JSON.stringify(error)}`);
    // A registration signs the customer in: no second password hash for a login.
    const shopper: Shopper = {
      client: createClient({ ...clientOptions, token: data.tokens.accessToken }),
      customerId: data.customer.customerId,
      email,
    };
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
  const relogin = (shopper: Shopper) => login(shopper.email, "a-long-enough-password");

  /** The `index`-th book with enough copies, so tests that pick different indexes buy different books. */
  const stockedBook = async (client: EcomClient, quantity: number, index: number): Promise<string> => {
    const { data: products } = await client.catalog.listProducts({ params: { query: { limit: 50 } } });
    const { data: stock } = await client.inventory.batchGetStockLevels({
      params: { query: { productIds: products!.items.map((product) => product.productId) } },
    });
    const stocked = stock!.levels.filter((level) => level.available >= quantity + 2);
    return stocked[index]!.productId;
  };

  const paidOrder = async (shopper: Shopper, options: PaidOrderOptions = {}): Promise<PaidOrder> => {
    const { client } = shopper;
    const quantity = options.quantity ?? 1;
    const productId = options.productId ?? (await stockedBook(client, quantity, options.index ?? 0));
    const { data: cart } = await client.cart.createCart({ body: {} });
    await client.cart.addCartItem({ params: { path: { cartId: cart!.cartId } }, body: { productId, quantity } });
    const { data: method } = await client.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Test Shopper" },
    });
    const { data: addresses } = await client.customer.listMyAddresses({});
    const accepted = await client.cart.checkoutCart({
      params: { path: { cartId: cart!.cartId } },
      body: { shippingAddressId: addresses!.items[0]!.addressId, paymentToken: method!.paymentToken },
    });
    if (!accepted.data) throw new Error(`checkout refused: ${JSON.stringify(accepted.error)}`);
    const { checkoutId, correlationId } = accepted.data;
    await checkoutEnded(client, checkoutId);
    const { data: view } = await client.order.getCheckout({ params: { path: { checkoutId } } });
    if (!view?.orderId || view.state !== "COMPLETED") throw new Error(`checkout did not complete: ${view?.state}`);
    return { orderId: view.orderId, correlationId, productId };
  };

  return { anonymous, login, register, admin, relogin, paidOrder };
}
