import { cartV1 } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, Code, outcome, type Protocol, type RpcKit, startRpcKit } from "./rpc-kit.js";

// CartService over the public port: the caller's token decides whose carts it reaches, the answers are the REST
// ones (the same handlers serve both), and every refused call changes nothing.

let kit: RpcKit;
let owner: Caller;
let stranger: Caller;
let productId: string;

beforeAll(async () => {
  kit = await startRpcKit(31);
  owner = await kit.customer();
  stranger = await kit.customer();
  const { data } = await owner.client.catalog.listProducts({ params: { query: { limit: 5 } } });
  productId = data!.items[0]!.productId;
});
afterAll(() => kit.close());

/** The REST view of a cart, reduced to what both surfaces carry. */
async function restCart(caller: Caller, cartId: string) {
  const { data } = await caller.client.cart.getCart({ params: { path: { cartId } } });
  return {
    cartId: data!.cartId,
    status: data!.status,
    items: data!.items.map((item) => [item.itemId, item.productId, item.quantity, item.unitPrice.amount]),
    subtotal: data!.subtotal.amount,
    updatedAt: data!.updatedAt,
  };
}

/** The same reduction of an RPC Cart. */
function rpcCart(cart: cartV1.Cart | undefined) {
  return {
    cartId: cart!.cartId,
    status: cartV1.CartStatus[cart!.status],
    items: cart!.items.map((item) => [item.itemId, item.productId, item.quantity, Number(item.unitPrice!.amountMinor)]),
    subtotal: Number(cart!.subtotal!.amountMinor),
    updatedAt: new Date(Number(cart!.updatedAt!.seconds) * 1000 + cart!.updatedAt!.nanos / 1e6).toISOString(),
  };
}

describe("CartService over Connect on the public port", () => {
  it("opens, fills and reads the caller's cart, answering as REST does", async () => {
    const carts = kit.client(cartV1.CartService, owner.token);
    const opened = await carts.createCart({});
    expect(opened.created).toBe(true);
    expect(opened.cart?.customerId).toBe(owner.customerId);
    expect((await carts.createCart({})).created).toBe(false);

    const added = await carts.addCartItem({ cartId: opened.cart!.cartId, productId, quantity: 2 });
    expect(rpcCart(added.cart)).toEqual(await restCart(owner, opened.cart!.cartId));
    const itemId = added.cart!.items[0]!.itemId;

    const updated = await carts.updateCartItem({ cartId: opened.cart!.cartId, itemId, quantity: 3 });
    expect(updated.cart?.items[0]?.quantity).toBe(3);
    const read = await carts.getCart({ cartId: opened.cart!.cartId });
    expect(rpcCart(read.cart)).toEqual(await restCart(owner, opened.cart!.cartId));
  });

  it.each<Protocol>(["connect", "grpc-web", "grpc"])("answers over %s", async (protocol) => {
    const { cart } = await kit.client(cartV1.CartService, owner.token, protocol).createCart({});
    expect(cart?.customerId).toBe(owner.customerId);
  });

  it("checks out with the caller's card and address, and the saga runs to COMPLETED", async () => {
    const carts = kit.client(cartV1.CartService, owner.token);
    const { cart } = await carts.createCart({});
    const { data: method } = await owner.client.payment.tokenizePaymentMethod({
      body: { cardNumber: "4242424242424242", expMonth: 12, expYear: 2030, cvc: "123", holderName: "Test Shopper" },
    });
    const { data: addresses } = await owner.client.customer.listMyAddresses({});
    const accepted = await carts.checkoutCart({
      cartId: cart!.cartId,
      shippingAddressId: addresses!.items[0]!.addressId,
      paymentToken: method!.paymentToken,
    });
    expect(accepted).toMatchObject({ cartId: cart!.cartId, status: cartV1.CartStatus.CHECKED_OUT });
    expect(accepted.correlationId).toBe(accepted.checkoutId);
    // A second checkout of the frozen cart starts nothing.
    expect(
      await outcome(
        carts.checkoutCart({
          cartId: cart!.cartId,
          shippingAddressId: addresses!.items[0]!.addressId,
          paymentToken: method!.paymentToken,
        }),
      ),
    ).toBe(Code.FailedPrecondition);
    await kit.platform.settle();
    const { data: checkout } = await owner.client.order.getCheckout({
      params: { path: { checkoutId: accepted.checkoutId } },
    });
    expect(checkout?.state).toBe("COMPLETED");
  });

  it("refuses bad arguments with invalid_argument, as REST answers 400", async () => {
    const carts = kit.client(cartV1.CartService, owner.token);
    const { cart } = await carts.createCart({});
    expect(await outcome(carts.addCartItem({ cartId: cart!.cartId, productId, quantity: 0 }))).toBe(
      Code.InvalidArgument,
    );
    expect(await outcome(carts.getCart({ cartId: "not-a-cart" }))).toBe(Code.InvalidArgument);
    expect(await outcome(carts.createCart({ currency: "usd" }))).toBe(Code.InvalidArgument);
  });
});

describe("CartService refuses whoever may not act on a cart, and changes nothing", () => {
  it("another customer's cart is not_found, for reads and changes alike", async () => {
    const { cart } = await kit.client(cartV1.CartService, owner.token).createCart({});
    await kit.platform.settle();
    const before = { cart: await restCart(owner, cart!.cartId), seq: await kit.platform.eventLog.lastSeq() };
    const theirs = kit.client(cartV1.CartService, stranger.token);
    const itemId = cart!.items[0]?.itemId ?? "cti_01JH8Z3Q4R5S6T7V8W9X0Y1Z2H";
    expect(
      await Promise.all([
        outcome(theirs.getCart({ cartId: cart!.cartId })),
        outcome(theirs.addCartItem({ cartId: cart!.cartId, productId, quantity: 1 })),
        outcome(theirs.updateCartItem({ cartId: cart!.cartId, itemId, quantity: 5 })),
        outcome(theirs.removeCartItem({ cartId: cart!.cartId, itemId })),
        outcome(
          theirs.checkoutCart({
            cartId: cart!.cartId,
            shippingAddressId: "adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F",
            paymentToken: "tok_01JH8Z3Q4R5S6T7V8W9X0Y1Z32",
          }),
        ),
      ]),
    ).toEqual(Array(5).fill(Code.NotFound));
    await kit.platform.settle();
    expect({ cart: await restCart(owner, cart!.cartId), seq: await kit.platform.eventLog.lastSeq() }).toEqual(before);
  });

  it("without a token every method is unauthenticated", async () => {
    const { cart } = await kit.client(cartV1.CartService, owner.token).createCart({});
    const seq = await kit.platform.eventLog.lastSeq();
    const anonymous = kit.client(cartV1.CartService, undefined);
    expect(
      await Promise.all([
        outcome(anonymous.createCart({})),
        outcome(anonymous.getCart({ cartId: cart!.cartId })),
        outcome(anonymous.addCartItem({ cartId: cart!.cartId, productId, quantity: 1 })),
      ]),
    ).toEqual([Code.Unauthenticated, Code.Unauthenticated, Code.Unauthenticated]);
    await kit.platform.settle();
    expect(await kit.platform.eventLog.lastSeq()).toBe(seq);
    expect((await restCart(owner, cart!.cartId)).items).toEqual(rpcCart(cart).items);
  });

  it("another context, with the service identity but no customer, finds nobody to act for", async () => {
    expect(await outcome(kit.platform.rpc.cart.createCart({}))).toBe(Code.Unauthenticated);
  });
});
