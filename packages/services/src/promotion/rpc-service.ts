import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { promotionV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, ServiceError } from "../platform/index.js";
import { priceBasketFromStore } from "./basket-pricing.js";
import type { BasketLine, CouponRejectionReason } from "./discount-rules.js";
import type { PromotionDatabase } from "./store.js";

const { CouponRejectionReason: RpcReason, PromotionKind } = promotionV1;

/**
 * The REST reasons mapped onto the RPC's closed set. The RPC has no DEACTIVATED or CURRENCY_MISMATCH: a switched-off
 * code is reported as EXPIRED (it no longer works) and a currency the promotion does not take as NO_ELIGIBLE_ITEMS.
 */
const RPC_REASONS: Readonly<Record<CouponRejectionReason, promotionV1.CouponRejectionReason>> = {
  NOT_FOUND: RpcReason.UNKNOWN_CODE,
  DEACTIVATED: RpcReason.EXPIRED,
  EXPIRED: RpcReason.EXPIRED,
  NOT_STARTED: RpcReason.NOT_STARTED,
  USAGE_LIMIT_REACHED: RpcReason.USAGE_LIMIT_REACHED,
  CUSTOMER_LIMIT_REACHED: RpcReason.USAGE_LIMIT_REACHED,
  CUSTOMER_NOT_ELIGIBLE: RpcReason.CUSTOMER_NOT_ELIGIBLE,
  MINIMUM_NOT_MET: RpcReason.MINIMUM_NOT_MET,
  CURRENCY_MISMATCH: RpcReason.NO_ELIGIBLE_ITEMS,
  NO_ELIGIBLE_ITEMS: RpcReason.NO_ELIGIBLE_ITEMS,
  OUTDONE: RpcReason.NOT_COMBINABLE,
};

/** Customer-facing text for each reason; callers match on the reason, never on this. */
export const REJECTION_MESSAGES: Readonly<Record<CouponRejectionReason, string>> = {
  NOT_FOUND: "This code does not exist.",
  DEACTIVATED: "This code no longer works.",
  EXPIRED: "This code has expired.",
  NOT_STARTED: "This code is not valid yet.",
  USAGE_LIMIT_REACHED: "This code has been used as often as it may be.",
  CUSTOMER_LIMIT_REACHED: "You have already used this code as often as you may.",
  CUSTOMER_NOT_ELIGIBLE: "Sign in to use this code.",
  MINIMUM_NOT_MET: "Your basket does not reach this code's minimum spend.",
  CURRENCY_MISMATCH: "This code does not apply to baskets in this currency.",
  NO_ELIGIBLE_ITEMS: "Nothing in your basket is covered by this code.",
  OUTDONE: "A better offer already applies, and this code cannot be combined with it.",
};

const CURRENCY = /^[A-Z]{3}$/;
const PRODUCT_ID = /^prd_[0-9A-HJKMNP-TV-Z]{26}$/;
const invalid = (message: string) => new ServiceError("validation", message);

/** Check a CalculateDiscount request against its contract and turn it into basket lines. */
export function basketLinesOf(request: promotionV1.CalculateDiscountRequest): BasketLine[] {
  if (!CURRENCY.test(request.currency)) throw invalid("currency must be an ISO 4217 code such as USD");
  if (request.items.length < 1 || request.items.length > 100) throw invalid("items must hold 1 to 100 lines");
  const seen = new Set<string>();
  return request.items.map((item, index) => {
    if (!PRODUCT_ID.test(item.productId)) throw invalid(`items[${index}].product_id is not a product id (prd_…)`);
    if (seen.has(item.productId)) throw invalid(`items[${index}].product_id ${item.productId} is listed twice`);
    seen.add(item.productId);
    if (item.quantity < 1) throw invalid(`items[${index}].quantity must be at least 1`);
    const price = item.unitPrice;
    if (!price || price.currency !== request.currency)
      throw invalid(`items[${index}].unit_price must be in the request's currency ${request.currency}`);
    if (price.amountMinor < 0n || price.amountMinor > 100_000_000_000n)
      throw invalid(`items[${index}].unit_price.amount_minor must be between 0 and 100000000000`);
    return {
      productId: item.productId,
      categoryIds: item.categoryIds,
      quantity: item.quantity,
      listPrice: { amount: Number(price.amountMinor), currency: price.currency },
    };
  });
}

/**
 * Register `ecom.promotion.v1.PromotionService`. CalculateDiscount prices the caller's lines with the same rules
 * and data as the REST quote. In the RPC the subtotal is at list prices, so a flash sale shows as an applied
 * promotion of kind FLASH_SALE (and in the lines' discounts) instead of as a lower unit price; the total agrees.
 */
export function registerPromotionService(router: ConnectRouter, runtime: ContextRuntime<PromotionDatabase>): void {
  router.service(promotionV1.PromotionService, {
    async calculateDiscount(request) {
      const lines = basketLinesOf(request);
      const basket = await priceBasketFromStore(runtime.db, {
        currency: request.currency,
        lines,
        customerId: request.customerId,
        couponCode: request.couponCode,
        now: runtime.clock.now().toISOString(),
      });
      const money = (amount: number) => ({ amountMinor: BigInt(amount), currency: basket.currency });
      const rejection = basket.coupon && !basket.coupon.applied ? basket.coupon : undefined;
      const reason = rejection?.rejectionReason ?? "NO_ELIGIBLE_ITEMS";
      return create(promotionV1.CalculateDiscountResponseSchema, {
        subtotal: money(basket.listSubtotal),
        discountTotal: money(basket.flashSaleSavings + basket.discountTotal),
        total: money(basket.total),
        appliedPromotions: [
          ...basket.flashSales.map((sale) => ({
            promotionId: sale.flashSaleId,
            kind: PromotionKind.FLASH_SALE,
            code: "",
            description: sale.name,
            amount: money(sale.amount),
          })),
          ...basket.appliedPromotions.map((applied) => ({
            promotionId: applied.promotionId,
            kind: applied.couponCode === undefined ? PromotionKind.AUTOMATIC : PromotionKind.COUPON,
            code: applied.couponCode ?? "",
            description: applied.name,
            amount: money(applied.amount),
          })),
        ],
        lines: basket.lines.map((line) => ({
          productId: line.productId,
          subtotal: money(line.listSubtotal),
          discount: money(line.flashSaleSaving + line.discount),
          total: money(line.lineTotal),
        })),
        ...(rejection
          ? {
              couponRejection: {
                code: request.couponCode,
                reason: RPC_REASONS[reason],
                message: REJECTION_MESSAGES[reason],
              },
            }
          : {}),
      });
    },
  });
}
