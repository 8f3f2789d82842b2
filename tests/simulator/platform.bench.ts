import { createClient, type EcomClient } from "@ecom/sdk";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, bench, describe } from "vitest";

// `npm run bench`: how fast the platform starts, and how many checkouts it completes in-process (cart to PAID with
// every event delivered), on this machine.

const quiet = { info() {}, warn() {}, error() {} };

describe("start-up", () => {
  bench(
    "createPlatform with every context, in memory, seeded with the book catalog",
    async () => {
      const platform = await createPlatform({ contexts: allContexts, memory: true, log: quiet });
      await platform.close();
    },
    { iterations: 5, time: 0 },
  );
});

describe("checkout", () => {
  let platform: Platform;
  let client: EcomClient;
  let productId: string;
  let shippingAddressId: string;
  let paymentToken: string;

  // Benchmarks do not run beforeAll hooks; the first iteration's call does the set-up once.
  let ready: Promise<void> | undefined;
  const setUp = async () => {
    platform = await createPlatform({ contexts: allContexts, memory: true, log: quiet });
    const anonymous = createClient({ baseUrl: "http://ecom.bench", fetch: platform.fetch });
    const { data: session } = await anonymous.customer.login({
      body: { email: devAccounts.customer.email, password: devAccounts.customer.password },
    });
    client = createClient({ baseUrl: "http://ecom.bench", fetch: platform.fetch, token: session!.accessToken });
    const admin = createClient({
      baseUrl: "http://ecom.bench",
      fetch: platform.fetch,
      token: (
        await anonymous.customer.login({
          body: { email: devAccounts.admin.email, password: devAccounts.admin.password },
        })
      ).data!.accessToken,
    });
    const { data: page } = await client.catalog.listProducts({ params: { query: { limit: 1 } } });
    productId = page!.items[0]!.productId;
    await admin.inventory.adjustStock({
      params: { path: { productId } },
      body: { delta: 100_000, reason: "RESTOCK", note: "bench" } as never,
    });
    shippingAddressId = (await client.customer.listMyAddresses({})).data!.items[0]!.addressId;
    paymentToken = (
      await client.payment.tokenizePaymentMethod({
        body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Bench" },
      })
    ).data!.paymentToken;
  };
  afterAll(async () => {
    await platform?.close();
  });

  bench(
    "one checkout through the SDK in-process, to PAID with every event delivered",
    async () => {
      ready ??= setUp();
      await ready;
      const { data: cart } = await client.cart.createCart({ body: {} });
      await client.cart.addCartItem({ params: { path: { cartId: cart!.cartId } }, body: { productId, quantity: 1 } });
      const { data: accepted } = await client.cart.checkoutCart({
        params: { path: { cartId: cart!.cartId } },
        body: { shippingAddressId, paymentToken },
      });
      await platform.settle();
      const { data: view } = await client.order.getCheckout({ params: { path: { checkoutId: accepted!.checkoutId } } });
      if (view?.state !== "COMPLETED") throw new Error(`checkout ended ${view?.state}`);
    },
    { iterations: 50, time: 0 },
  );
});
