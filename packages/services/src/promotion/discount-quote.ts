import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, fail } from "../platform/index.js";
import { priceBasketFromStore } from "./basket-pricing.js";
import { readCatalogProducts } from "./catalog-products.js";
import type { BasketLine, PricedBasket } from "./discount-rules.js";
import type { PromotionDatabase } from "./store.js";

type Schemas = promotionApi.components["schemas"];

/**
 * The basket's lines at the catalog's list prices: each product listed once, sold by the catalog in the basket's
 * currency and not discontinued (422 otherwise).
 */
async function quotedLines(
  runtime: ContextRuntime<PromotionDatabase>,
  request: Schemas["QuoteRequest"],
): Promise<BasketLine[]> {
  const seen = new Map<string, number>();
  request.items.forEach((item, index) => {
    const first = seen.get(item.productId);
    if (first !== undefined)
      throw fail.validation(
        `/items/${index}/productId`,
        `repeats items/${first}; list each product once with its total quantity`,
      );
    seen.set(item.productId, index);
  });
  const products = await readCatalogProducts(
    runtime.rpc,
    request.items.map((item) => item.productId),
  );
  return request.items.map((item) => {
    const product = products.get(item.productId);
    if (!product) throw fail.unprocessable(`The catalog has no product ${item.productId}.`);
    if (!product.active) throw fail.unprocessable(`Product ${item.productId} is discontinued and cannot be bought.`);
    if (!product.price || product.price.currency !== request.currency)
      throw fail.unprocessable(`Product ${item.productId} is not sold in ${request.currency}.`);
    return {
      productId: item.productId,
      categoryIds: product.categoryIds,
      quantity: item.quantity,
      listPrice: product.price,
    };
  });
}

/** The contract's Quote of a priced basket, quoted at `at`. */
function toQuote(basket: PricedBasket, at: string): Schemas["Quote"] {
  const money = (amount: number) => ({ amount, currency: basket.currency });
  return {
    currency: basket.currency,
    lines: basket.lines.map((line) => ({
      productId: line.productId,
      quantity: line.quantity,
      unitPrice: money(line.unitPrice),
      ...(line.flashSaleId === undefined ? {} : { flashSaleId: line.flashSaleId }),
      lineSubtotal: money(line.lineSubtotal),
      discount: money(line.discount),
      lineTotal: money(line.lineTotal),
    })),
    subtotal: money(basket.subtotal),
    discountTotal: money(basket.discountTotal),
    total: money(basket.total),
    appliedPromotions: basket.appliedPromotions.map((applied) => ({
      promotionId: applied.promotionId,
      name: applied.name,
      ...(applied.couponCode === undefined ? {} : { couponCode: applied.couponCode }),
      discount: money(applied.amount),
    })),
    ...(basket.coupon === undefined
      ? {}
      : {
          coupon: {
            code: basket.coupon.code,
            applied: basket.coupon.applied,
            ...(basket.coupon.rejectionReason === undefined
              ? {}
              : {
                  // The REST contract has no CUSTOMER_NOT_ELIGIBLE (a guest cannot call it): the nearest reason.
                  rejectionReason:
                    basket.coupon.rejectionReason === "CUSTOMER_NOT_ELIGIBLE"
                      ? "CUSTOMER_LIMIT_REACHED"
                      : basket.coupon.rejectionReason,
                }),
          },
        }),
    quotedAt: at,
  };
}

/** Quote a basket's discounts for `customerId` ("" for a caller without one), its lines checked against the catalog. */
export async function quoteBasket(
  runtime: ContextRuntime<PromotionDatabase>,
  request: Schemas["QuoteRequest"],
  customerId: string,
): Promise<Schemas["Quote"]> {
  const lines = await quotedLines(runtime, request);
  const at = runtime.clock.now().toISOString();
  const basket = await priceBasketFromStore(runtime.db, {
    currency: request.currency,
    lines,
    customerId,
    couponCode: request.couponCode,
    now: at,
  });
  return toQuote(basket, at);
}
