import { createClient, type EcomClient } from "@ecom/sdk";
import { devAccounts } from "@ecom/services";

/**
 * The parity scenario: one seeded day of trade driven through the public REST surface, step by step and in a fixed
 * order, so that two platforms given it end in states a canonical export can compare (parity-export.ts).
 *
 * Checkouts by three customers (one with a coupon; one declined by the card, then paid with another card; one canceled
 * once paid, so refunded and restocked), two price changes (one before the checkouts, one after), an order picked, packed, shipped and delivered, a return of part of it
 * received back into stock and refunded, a goodwill refund of part of another order, and reviews approved and
 * rejected. Every step waits for the platform to settle before the next, so the events each step causes are
 * delivered in the same order everywhere.
 */

/** Where the scenario runs: a base URL (the gateway's, or a platform's port) or an in-process fetch, and a settle. */
export interface ScenarioTarget {
  readonly baseUrl: string;
  readonly fetch?: (request: Request) => Promise<Response>;
  /** Resolve when every event the last step caused is delivered and every saga it started has ended. */
  settle(): Promise<void>;
}

/** What the scenario did, for the test's own checks beside the export's comparison. */
export interface ScenarioRun {
  readonly paidOrders: readonly string[];
  readonly canceledOrder: string;
  readonly declinedCheckout: string;
}

const PASSWORD = "a-long-enough-password";
const GOOD_CARD = "4242424242424242";
/** A coupon every platform is seeded with (services' promotion/seed-coupons.ts): ten percent off. */
const WELCOME10_COUPON = "WELCOME10";
/** The simulator's test card the processor declines (`card_declined`; see payment/cards.ts). */
const DECLINED_CARD = "4000000000000002";

interface Shopper {
  readonly client: EcomClient;
  readonly email: string;
}

/** Run the scenario against `target`. Throws, naming the step, when a call is refused or a flow ends otherwise. */
export async function runParityScenario(target: ScenarioTarget): Promise<ScenarioRun> {
  const clientWith = (token?: string) =>
    createClient({
      baseUrl: target.baseUrl,
      retry: { maxAttempts: 1 },
      ...(target.fetch === undefined ? {} : { fetch: target.fetch }),
      ...(token === undefined ? {} : { token }),
    });
  const login = async (email: string, password: string): Promise<Shopper> => {
    const { data, error } = await clientWith().customer.login({ body: { email, password } });
    if (!data) throw new Error(`login of ${email} refused: ${JSON.stringify(error)}`);
    return { client: clientWith(data.accessToken), email };
  };

  const admin = (await login(devAccounts.admin.email, devAccounts.admin.password)).client;
  const [a, b, c, d, e] = await fiveStockedProducts(admin);

  await must(
    "price change of A",
    admin.catalog.changeProductPrice({
      params: { path: { productId: a } },
      body: { price: { amount: 1999, currency: "USD" }, reason: "PROMOTION" },
    }),
  );
  await target.settle();

  const [first, second, third] = [await register(1), await register(2), await register(3)];
  const firstOrder = await paidCheckout(first, { [a]: 2, [b]: 1 });
  const secondOrder = await paidCheckout(second, { [b]: 1, [c]: 1 }, WELCOME10_COUPON);
  // The third customer's card is declined; the cart comes back OPEN and is paid with another card.
  const thirdCart = await cartOf(third, { [d]: 1, [e]: 1, [b]: 1 });
  const declined = await checkout(third, thirdCart, DECLINED_CARD);
  if (declined.state !== "FAILED") throw new Error(`the declined card's checkout ended ${declined.state}`);
  const paidAgain = await checkout(third, thirdCart, GOOD_CARD);
  if (paidAgain.state !== "COMPLETED" || !paidAgain.orderId)
    throw new Error(`the checkout paid with another card ended ${paidAgain.state}`);
  const thirdOrder = paidAgain.orderId;
  // The second customer's next order is canceled once paid: refunded, its copies back on the shelf.
  const canceledOrder = await paidCheckout(second, { [c]: 2 });
  await must(
    "canceling a paid order",
    admin.order.cancelOrder({ params: { path: { orderId: canceledOrder } }, body: { reason: "customer_request" } }),
  );
  await target.settle();

  await must(
    "price change of B",
    admin.catalog.changeProductPrice({
      params: { path: { productId: b } },
      body: { price: { amount: 2599, currency: "USD" }, reason: "CORRECTION" },
    }),
  );
  await target.settle();

  // The first order is delivered by the warehouse, and one copy of A comes back: restocked and refunded.
  await deliver(firstOrder);
  const { data: requested, error: refused } = await first.client.fulfilment.requestReturn({
    body: { orderId: firstOrder, items: [{ productId: a, quantity: 1 }], reason: "changed_mind" },
  });
  if (!requested) throw new Error(`return refused: ${JSON.stringify(refused)}`);
  await target.settle();
  await must(
    "receiving the return",
    admin.fulfilment.receiveReturn({
      params: { path: { returnId: requested.returnId } },
      body: { condition: "SELLABLE" },
    }),
  );
  await target.settle();

  // A goodwill refund of part of the second order.
  const { data: order } = await admin.order.getOrder({ params: { path: { orderId: secondOrder } } });
  await must(
    "the goodwill refund",
    admin.payment.refundPayment({
      params: { path: { paymentId: order!.paymentId! } },
      body: { amount: { amount: 500, currency: "USD" }, reason: "goodwill", note: "late parcel" },
    }),
  );
  await target.settle();

  // Reviews: B's average of three ratings is not a whole number (4.33…), so a lossy float column would show.
  for (const [shopper, productId, rating, decision] of [
    [first, a, 5, "approve"],
    [first, b, 5, "approve"],
    [second, b, 4, "approve"],
    [third, b, 4, "approve"],
    [second, c, 1, "reject"],
  ] as const) {
    const { data: review, error } = await shopper.client.review.submitReview({
      params: { path: { productId } },
      body: { rating, title: `${rating} stars`, body: "Read it in one sitting." },
    });
    if (!review) throw new Error(`review refused: ${JSON.stringify(error)}`);
    await target.settle();
    await must(
      "moderating a review",
      admin.review.moderateReview({
        params: { path: { reviewId: review.reviewId } },
        body: decision === "approve" ? { decision } : { decision, reason: "off_topic" },
      }),
    );
    await target.settle();
  }
  return {
    paidOrders: [firstOrder, secondOrder, thirdOrder],
    canceledOrder,
    declinedCheckout: declined.checkoutId,
  };

  async function register(index: number): Promise<Shopper> {
    const email = `parity${index}@example.com`;
    await must(
      `registering ${email}`,
      clientWith().customer.registerCustomer({
        body: { email, password: PASSWORD, firstName: "Parity", lastName: `Number${index}` },
      }),
    );
    const shopper = await login(email, PASSWORD);
    await must(
      `${email}'s address`,
      shopper.client.customer.addMyAddress({
        body: {
          label: "HOME",
          isDefault: true,
          address: {
            name: `Parity ${index}`,
            line1: "1 Test Street",
            city: "Springfield",
            postalCode: "12345",
            country: "US",
          },
        },
      }),
    );
    await target.settle();
    return shopper;
  }

  async function cartOf(shopper: Shopper, items: Readonly<Record<string, number>>): Promise<string> {
    const { data: cart } = await must("a new cart", shopper.client.cart.createCart({ body: {} }));
    for (const [productId, quantity] of Object.entries(items))
      await must(
        "adding to the cart",
        shopper.client.cart.addCartItem({
          params: { path: { cartId: cart.cartId } },
          body: { productId, quantity },
        }),
      );
    return cart.cartId;
  }

  async function checkout(shopper: Shopper, cartId: string, cardNumber: string, couponCode?: string) {
    const { client } = shopper;
    const { data: method } = await must(
      "tokenizing a card",
      client.payment.tokenizePaymentMethod({
        body: { cardNumber, expMonth: 12, expYear: 2030, cvc: "123", holderName: "Parity Shopper" },
      }),
    );
    const { data: addresses } = await must("the address book", client.customer.listMyAddresses({}));
    const { data: accepted } = await must(
      "the checkout",
      client.cart.checkoutCart({
        params: { path: { cartId } },
        body: {
          shippingAddressId: addresses.items[0]!.addressId,
          paymentToken: method.paymentToken,
          ...(couponCode === undefined ? {} : { couponCode }),
        },
      }),
    );
    await target.settle();
    const { data: view } = await must(
      "the checkout's state",
      client.order.getCheckout({
        params: { path: { checkoutId: accepted.checkoutId } },
      }),
    );
    return { state: view.state, orderId: view.orderId, checkoutId: accepted.checkoutId };
  }

  async function paidCheckout(
    shopper: Shopper,
    items: Readonly<Record<string, number>>,
    couponCode?: string,
  ): Promise<string> {
    const ended = await checkout(shopper, await cartOf(shopper, items), GOOD_CARD, couponCode);
    if (ended.state !== "COMPLETED" || !ended.orderId)
      throw new Error(`a checkout of ${shopper.email} ended ${ended.state}`);
    return ended.orderId;
  }

  async function deliver(orderId: string): Promise<void> {
    const { data: page } = await must(
      "the order's shipment",
      admin.fulfilment.listShipments({
        params: { query: { orderId } },
      }),
    );
    const path = { path: { shipmentId: page.items[0]!.shipmentId } };
    await must("picking", admin.fulfilment.pickShipment({ params: path, body: {} }));
    await must("packing", admin.fulfilment.packShipment({ params: path, body: { packageCount: 1 } }));
    await must(
      "shipping",
      admin.fulfilment.shipShipment({
        params: path,
        body: { carrier: "ups", trackingNumber: "1Z999AA10000001" },
      }),
    );
    await must("delivering", admin.fulfilment.deliverShipment({ params: path, body: {} }));
    await target.settle();
  }
}

/** The first five products of the catalog's first page with at least five copies available. */
async function fiveStockedProducts(admin: EcomClient): Promise<[string, string, string, string, string]> {
  const { data: products } = await must(
    "the catalog",
    admin.catalog.listProducts({ params: { query: { limit: 50 } } }),
  );
  const { data: stock } = await must(
    "stock levels",
    admin.inventory.batchGetStockLevels({
      params: { query: { productIds: products.items.map((product) => product.productId) } },
    }),
  );
  const stocked = stock.levels.filter((level) => level.available >= 5).map((level) => level.productId);
  const [a, b, c, d, e] = stocked;
  if (e === undefined) throw new Error(`only ${stocked.length} stocked products on the first page`);
  return [a!, b!, c!, d!, e];
}

/** The answer of an SDK call that must succeed, or an error naming `step` and the problem. */
async function must<TData, TError>(
  step: string,
  call: Promise<{ data?: TData; error?: TError }>,
): Promise<{ data: TData }> {
  const { data, error } = await call;
  if (data === undefined) throw new Error(`${step} refused: ${JSON.stringify(error)}`);
  return { data };
}
