import { cartV1, orderV1 } from "@ecom/sdk/rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Caller, Code, outcome, type RpcKit, startRpcKit } from "./rpc-kit.js";

// OrderService over the public port: a customer reaches only their own orders and checkouts, the manual status is
// the admin's, the answers are the REST ones (the same handlers serve both), and refused calls change nothing.

const { OrderStatus, CancellationReason, CheckoutState } = orderV1;

let kit: RpcKit;
let owner: Caller;
let stranger: Caller;
let admin: Caller;
let paid: { orderId: string; correlationId: string };

beforeAll(async () => {
  kit = await startRpcKit(41);
  owner = await kit.customer();
  stranger = await kit.customer();
  admin = await kit.admin();
  paid = await kit.shop.paidOrder(owner);
});
afterAll(() => kit.close());

const orders = (caller: Caller | undefined) => kit.client(orderV1.OrderService, caller?.token);

/** What both surfaces carry of an order, from REST. */
async function restOrder(orderId: string) {
  const { data } = await owner.client.order.getOrder({ params: { path: { orderId } } });
  return {
    orderId: data!.orderId,
    status: data!.status,
    total: data!.total.amount,
    items: data!.items.map((item) => [item.productId, item.quantity, item.lineTotal.amount]),
    city: data!.shippingAddress.city,
    paymentId: data!.paymentId,
  };
}

/** The same, from an RPC Order. */
function rpcOrder(order: orderV1.Order | undefined) {
  return {
    orderId: order!.orderId,
    status: OrderStatus[order!.status],
    total: Number(order!.total!.amountMinor),
    items: order!.items.map((item) => [item.productId, item.quantity, Number(item.lineTotal!.amountMinor)]),
    city: order!.shippingAddress?.city,
    paymentId: order!.paymentId,
  };
}

/** Check out the caller's cart over RPC with `cardNumber`; the checkout id. */
async function checkoutWith(caller: Caller, cardNumber: string) {
  const { data: products } = await caller.client.catalog.listProducts({ params: { query: { limit: 5 } } });
  const carts = kit.client(cartV1.CartService, caller.token);
  const { cart } = await carts.createCart({});
  await carts.addCartItem({ cartId: cart!.cartId, productId: products!.items[3]!.productId, quantity: 1 });
  const { data: method } = await caller.client.payment.tokenizePaymentMethod({
    body: { cardNumber, expMonth: 12, expYear: 2030, cvc: "123", holderName: "Test Shopper" },
  });
  const { data: addresses } = await caller.client.customer.listMyAddresses({});
  const { checkoutId } = await carts.checkoutCart({
    cartId: cart!.cartId,
    shippingAddressId: addresses!.items[0]!.addressId,
    paymentToken: method!.paymentToken,
  });
  return checkoutId;
}

describe("OrderService over Connect on the public port", () => {
  it("hands out the checkout's order once as created, and reads it as REST does", async () => {
    const { data: order } = await owner.client.order.getOrder({ params: { path: { orderId: paid.orderId } } });
    const first = await orders(owner).createOrder({ checkoutId: order!.checkoutId });
    expect(first.result.case).toBe("order");
    expect(first.created).toBe(true);
    const again = await orders(owner).createOrder({ checkoutId: order!.checkoutId });
    expect(again.created).toBe(false);
    expect(rpcOrder(again.result.case === "order" ? again.result.value : undefined)).toEqual(
      await restOrder(paid.orderId),
    );
    expect(rpcOrder((await orders(owner).getOrder({ orderId: paid.orderId })).order)).toEqual(
      await restOrder(paid.orderId),
    );

    const { checkout } = await orders(owner).getCheckout({ checkoutId: order!.checkoutId });
    expect(checkout).toMatchObject({ state: CheckoutState.COMPLETED, orderId: paid.orderId });
    expect(checkout?.steps).toHaveLength(5);

    const listed = await orders(owner).listOrders({});
    const { data: page } = await owner.client.order.listOrders({});
    expect(listed.orders.map((summary) => [summary.orderId, summary.itemCount])).toEqual(
      page!.items.map((summary) => [summary.orderId, summary.itemCount]),
    );
    const history = await orders(owner).getOrderHistory({ orderId: paid.orderId });
    const { data: changes } = await owner.client.order.getOrderHistory({ params: { path: { orderId: paid.orderId } } });
    expect(history.changes.map((change) => [change.sequence, OrderStatus[change.to]])).toEqual(
      changes!.items.map((change) => [change.sequence, change.to]),
    );
  });

  it("answers a failed checkout with failed_precondition, saying why", async () => {
    const checkoutId = await checkoutWith(owner, "4000000000000002");
    await kit.platform.settle();
    const error = await orders(owner)
      .createOrder({ checkoutId })
      .catch((thrown: unknown) => thrown as Error);
    expect(await outcome(orders(owner).createOrder({ checkoutId }))).toBe(Code.FailedPrecondition);
    expect(String(error)).toMatch(/card_declined/);
    const { checkout } = await orders(owner).getCheckout({ checkoutId });
    expect(checkout?.state).toBe(CheckoutState.FAILED);
    expect(checkout?.failure?.code).toBe("card_declined");
  });
});

describe("OrderService refuses whoever may not act on an order, and changes nothing", () => {
  it("another customer's order and checkout are not_found; their list is permission_denied; no token is unauthenticated", async () => {
    const { data: order } = await owner.client.order.getOrder({ params: { path: { orderId: paid.orderId } } });
    await kit.platform.settle();
    const before = { order: await restOrder(paid.orderId), seq: await kit.platform.eventLog.lastSeq() };
    const theirs = orders(stranger);
    expect(
      await Promise.all([
        outcome(theirs.getOrder({ orderId: paid.orderId })),
        outcome(theirs.getOrderHistory({ orderId: paid.orderId })),
        outcome(theirs.getCheckout({ checkoutId: order!.checkoutId })),
        outcome(theirs.createOrder({ checkoutId: order!.checkoutId })),
        outcome(theirs.payOrder({ orderId: paid.orderId })),
        outcome(theirs.cancelOrder({ orderId: paid.orderId, reason: CancellationReason.CUSTOMER_REQUEST })),
        outcome(theirs.listOrders({ customerId: owner.customerId })),
        outcome(orders(undefined).getOrder({ orderId: paid.orderId })),
        outcome(orders(undefined).cancelOrder({ orderId: paid.orderId, reason: CancellationReason.OTHER })),
      ]),
    ).toEqual([
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.NotFound,
      Code.PermissionDenied,
      Code.Unauthenticated,
      Code.Unauthenticated,
    ]);
    await kit.platform.settle();
    expect({ order: await restOrder(paid.orderId), seq: await kit.platform.eventLog.lastSeq() }).toEqual(before);
  });

  it("a customer may not cancel a PAID order nor set its status; the admin moves it one step at a time", async () => {
    const seq = await kit.platform.eventLog.lastSeq();
    expect(
      await Promise.all([
        outcome(orders(owner).cancelOrder({ orderId: paid.orderId, reason: CancellationReason.CUSTOMER_REQUEST })),
        outcome(orders(owner).updateOrderStatus({ orderId: paid.orderId, status: OrderStatus.FULFILLED })),
        outcome(orders(admin).updateOrderStatus({ orderId: paid.orderId, status: OrderStatus.PAID })),
        outcome(orders(admin).updateOrderStatus({ orderId: paid.orderId, status: OrderStatus.DELIVERED })),
        outcome(orders(owner).cancelOrder({ orderId: paid.orderId })),
      ]),
    ).toEqual([
      Code.PermissionDenied,
      Code.PermissionDenied,
      Code.InvalidArgument,
      Code.FailedPrecondition,
      Code.InvalidArgument,
    ]);
    await kit.platform.settle();
    expect(await kit.platform.eventLog.lastSeq()).toBe(seq);
    expect((await restOrder(paid.orderId)).status).toBe("PAID");

    const { order } = await orders(admin).updateOrderStatus({
      orderId: paid.orderId,
      status: OrderStatus.FULFILLED,
      note: "Packed by hand.",
    });
    expect(order?.status).toBe(OrderStatus.FULFILLED);
    expect(await outcome(orders(admin).cancelOrder({ orderId: paid.orderId, reason: CancellationReason.OTHER }))).toBe(
      Code.FailedPrecondition,
    );
    const admins = await orders(admin).listOrders({ customerId: owner.customerId, statuses: [OrderStatus.FULFILLED] });
    expect(admins.orders.map((summary) => summary.orderId)).toEqual([paid.orderId]);
  });
});
