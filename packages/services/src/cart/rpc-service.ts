import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { cartApi } from "@ecom/sdk";
import { cartV1 } from "@ecom/sdk/rpc";
import {
  answerWithOperation,
  type ContextRuntime,
  ifGiven,
  protoMoneyOf,
  protoTimeOf,
  type RestHandlers,
} from "../platform/index.js";
import type { CartDatabase } from "./store.js";

type Schemas = cartApi.components["schemas"];

const STATUS: Readonly<Record<Schemas["CartStatus"], cartV1.CartStatus>> = {
  OPEN: cartV1.CartStatus.OPEN,
  CHECKED_OUT: cartV1.CartStatus.CHECKED_OUT,
  CONVERTED: cartV1.CartStatus.CONVERTED,
  EXPIRED: cartV1.CartStatus.EXPIRED,
};

/** The contract's Cart as the proto Cart. */
function protoCart(cart: Schemas["Cart"]): cartV1.Cart {
  return create(cartV1.CartSchema, {
    cartId: cart.cartId,
    customerId: cart.customerId,
    status: STATUS[cart.status],
    currency: cart.currency,
    items: cart.items.map((item) => ({
      itemId: item.itemId,
      productId: item.productId,
      isbn: item.isbn,
      title: item.title,
      quantity: item.quantity,
      unitPrice: protoMoneyOf(item.unitPrice),
      lineTotal: protoMoneyOf(item.lineTotal),
    })),
    subtotal: protoMoneyOf(cart.subtotal),
    createdAt: protoTimeOf(cart.createdAt),
    updatedAt: protoTimeOf(cart.updatedAt),
    expiresAt: protoTimeOf(cart.expiresAt),
  });
}

/**
 * CartService: cart.yaml's operations over Connect, answered by the same handlers as REST (see
 * answerWithOperation), so ownership (another customer's cart is not_found), the OPEN-only rule and the
 * checkout's event are the REST ones.
 */
export function registerCartService(
  router: ConnectRouter,
  runtime: ContextRuntime<CartDatabase>,
  rest: RestHandlers<cartApi.operations>,
): void {
  const operation = (operationId: keyof cartApi.operations) => ({ context: "cart", operationId });
  const { ids } = runtime;
  router.service(cartV1.CartService, {
    async createCart(request, context) {
      const result = await answerWithOperation(
        operation("createCart"),
        rest.createCart,
        { path: {}, query: {}, body: ifGiven("currency", request.currency) },
        { context, ids },
      );
      return create(cartV1.CreateCartResponseSchema, { cart: protoCart(result.body), created: result.status === 201 });
    },

    async getCart(request, context) {
      const result = await answerWithOperation(
        operation("getCart"),
        rest.getCart,
        { path: { cartId: request.cartId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(cartV1.GetCartResponseSchema, { cart: protoCart(result.body) });
    },

    async addCartItem(request, context) {
      const result = await answerWithOperation(
        operation("addCartItem"),
        rest.addCartItem,
        {
          path: { cartId: request.cartId },
          query: {},
          body: { productId: request.productId, quantity: request.quantity },
        },
        { context, ids },
      );
      return create(cartV1.AddCartItemResponseSchema, { cart: protoCart(result.body) });
    },

    async updateCartItem(request, context) {
      const result = await answerWithOperation(
        operation("updateCartItem"),
        rest.updateCartItem,
        { path: { cartId: request.cartId, itemId: request.itemId }, query: {}, body: { quantity: request.quantity } },
        { context, ids },
      );
      return create(cartV1.UpdateCartItemResponseSchema, { cart: protoCart(result.body) });
    },

    async removeCartItem(request, context) {
      const result = await answerWithOperation(
        operation("removeCartItem"),
        rest.removeCartItem,
        { path: { cartId: request.cartId, itemId: request.itemId }, query: {}, body: undefined },
        { context, ids },
      );
      return create(cartV1.RemoveCartItemResponseSchema, { cart: protoCart(result.body) });
    },

    async checkoutCart(request, context) {
      const result = await answerWithOperation(
        operation("checkoutCart"),
        rest.checkoutCart,
        {
          path: { cartId: request.cartId },
          query: {},
          body: {
            shippingAddressId: request.shippingAddressId,
            paymentToken: request.paymentToken,
            ...ifGiven("billingAddressId", request.billingAddressId),
            ...ifGiven("couponCode", request.couponCode),
          },
        },
        { context, ids },
      );
      const accepted = result.body;
      return create(cartV1.CheckoutCartResponseSchema, {
        checkoutId: accepted.checkoutId,
        cartId: accepted.cartId,
        correlationId: accepted.correlationId,
        status: STATUS[accepted.status],
      });
    },
  });
}
