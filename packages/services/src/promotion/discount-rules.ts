/**
 * The discount rules of the promotion context, as pure functions: the REST quote (`POST /promotions/quote`) and
 * the `PromotionService/CalculateDiscount` RPC both price a basket with priceBasket (price-basket.ts, which
 * applies these), so a quote and the discount charged at checkout can never disagree. No I/O here: the caller loads the promotions, the coupon and
 * the flash sales in force and passes them in.
 *
 * Amounts are integer minor units. Rounding: a percent discount is rounded DOWN to a whole minor unit (the
 * customer never gets a fraction of a cent more than the rule says); a fixed amount is capped at the amount of
 * the lines it applies to; a promotion's discount is split over its lines in proportion to what is left of
 * each (rounded down), and the few units the rounding leaves go to the first line that can still take them.
 */

/** An amount of money in integer minor units. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** How much a promotion takes off. */
export type DiscountRule =
  | { readonly type: "PERCENT"; readonly percentOff: number }
  | { readonly type: "FIXED_AMOUNT"; readonly amountOff: Money };

/** Which lines a promotion discounts. */
export type ScopeRule =
  | { readonly type: "ORDER" }
  | { readonly type: "PRODUCTS"; readonly productIds: readonly string[] }
  | { readonly type: "CATEGORIES"; readonly categoryIds: readonly string[] };

/** A promotion as the rules need it, with its usage counted so far. Times are ISO 8601. */
export interface PromotionRule {
  readonly promotionId: string;
  readonly name: string;
  readonly discount: DiscountRule;
  readonly scope: ScopeRule;
  readonly minimumSubtotal?: Money | undefined;
  readonly validFrom: string;
  /** Exclusive; open-ended when absent. */
  readonly validUntil?: string | undefined;
  readonly usageLimit?: number | undefined;
  readonly perCustomerLimit?: number | undefined;
  readonly requiresCoupon: boolean;
  readonly stackable: boolean;
  readonly usageCount: number;
  /** Paid orders of the customer being quoted that used it (0 for a guest). */
  readonly customerUsageCount: number;
  readonly createdAt: string;
  readonly disabledAt?: string | undefined;
}

/** A coupon code as the rules need it. */
export interface CouponRule {
  readonly code: string;
  readonly promotionId: string;
  readonly usageLimit?: number | undefined;
  readonly perCustomerLimit?: number | undefined;
  readonly usageCount: number;
  /** Paid orders of the customer being quoted that used this code (0 for a guest). */
  readonly customerUsageCount: number;
  readonly validUntil?: string | undefined;
  readonly deactivatedAt?: string | undefined;
}

/** A product's price in a flash sale running now. */
export interface FlashSalePrice {
  readonly flashSaleId: string;
  readonly name: string;
  readonly productId: string;
  readonly salePrice: Money;
  readonly maxPerCustomer?: number | undefined;
}

/** One basket line at its catalog list price. */
export interface BasketLine {
  readonly productId: string;
  /** The product's categories and all their ancestors, so a promotion on a parent category matches. */
  readonly categoryIds: readonly string[];
  readonly quantity: number;
  /** The catalog price of one unit, never a sale price. */
  readonly listPrice: Money;
}

/** Everything priceBasket (price-basket.ts) decides on. */
export interface BasketInput {
  readonly currency: string;
  readonly lines: readonly BasketLine[];
  /** The promotions that might apply: every automatic one in force, plus the entered coupon's promotion. */
  readonly promotions: readonly PromotionRule[];
  /** The code the customer entered (upper case) and the coupon it names, if any does. */
  readonly coupon?: { readonly code: string; readonly found: CouponRule | undefined } | undefined;
  readonly flashSales: readonly FlashSalePrice[];
  /** Empty for a guest. */
  readonly customerId: string;
  readonly now: string;
}

/** Why a coupon was not applied: the REST contract's reasons plus the RPC's CUSTOMER_NOT_ELIGIBLE (a guest). */
export type CouponRejectionReason =
  | "NOT_FOUND"
  | "DEACTIVATED"
  | "EXPIRED"
  | "NOT_STARTED"
  | "USAGE_LIMIT_REACHED"
  | "CUSTOMER_LIMIT_REACHED"
  | "CUSTOMER_NOT_ELIGIBLE"
  | "MINIMUM_NOT_MET"
  | "CURRENCY_MISMATCH"
  | "NO_ELIGIBLE_ITEMS"
  | "OUTDONE";

/** A basket line after pricing. */
export interface PricedLine {
  readonly productId: string;
  readonly quantity: number;
  readonly listUnitPrice: number;
  /** The price charged per unit: the flash-sale price when `flashSaleId` is set, else the list price. */
  readonly unitPrice: number;
  readonly flashSaleId?: string | undefined;
  /** listUnitPrice × quantity. */
  readonly listSubtotal: number;
  /** unitPrice × quantity. */
  readonly lineSubtotal: number;
  /** listSubtotal − lineSubtotal. */
  readonly flashSaleSaving: number;
  /** This line's share of the promotions' discounts (flash-sale savings not included). */
  readonly discount: number;
  /** lineSubtotal − discount. */
  readonly lineTotal: number;
}

/** A promotion that took something off. */
export interface AppliedPromotionResult {
  readonly promotionId: string;
  readonly name: string;
  readonly couponCode?: string | undefined;
  readonly amount: number;
}

/** A flash sale that lowered some prices. */
export interface AppliedFlashSale {
  readonly flashSaleId: string;
  readonly name: string;
  readonly amount: number;
}

/** A priced basket. All amounts are in `currency`. */
export interface PricedBasket {
  readonly currency: string;
  readonly lines: readonly PricedLine[];
  /** Σ listSubtotal: the basket at catalog prices. */
  readonly listSubtotal: number;
  /** Σ lineSubtotal: the basket at the prices charged (flash sales applied). */
  readonly subtotal: number;
  /** Σ flash-sale savings. */
  readonly flashSaleSavings: number;
  readonly flashSales: readonly AppliedFlashSale[];
  /** Σ of the promotions' discounts; never more than `subtotal`. */
  readonly discountTotal: number;
  /** subtotal − discountTotal. */
  readonly total: number;
  /** In the order they were applied (creation order of the promotions). */
  readonly appliedPromotions: readonly AppliedPromotionResult[];
  /** What became of the entered coupon; absent when none was entered. */
  readonly coupon?:
    | { readonly code: string; readonly applied: boolean; readonly rejectionReason?: CouponRejectionReason | undefined }
    | undefined;
}

/** A promotion's state, derived from the clock and the admin's actions. */
export type PromotionStatus = "SCHEDULED" | "ACTIVE" | "EXPIRED" | "DISABLED";

/** SCHEDULED before `validFrom`, ACTIVE in the window, EXPIRED after it or at its usage limit, DISABLED by an admin. */
export function promotionStatus(
  promotion: Pick<PromotionRule, "validFrom" | "validUntil" | "usageLimit" | "usageCount" | "disabledAt">,
  now: string,
): PromotionStatus {
  if (promotion.disabledAt !== undefined) return "DISABLED";
  const at = Date.parse(now);
  if (at < Date.parse(promotion.validFrom)) return "SCHEDULED";
  if (promotion.validUntil !== undefined && at >= Date.parse(promotion.validUntil)) return "EXPIRED";
  if (promotion.usageLimit !== undefined && promotion.usageCount >= promotion.usageLimit) return "EXPIRED";
  return "ACTIVE";
}

/** A coupon's state: its own deactivation, window and limit, and its promotion's. */
export type CouponStatus = "ACTIVE" | "DEACTIVATED" | "EXHAUSTED" | "EXPIRED";

/**
 * DEACTIVATED when it or its promotion was switched off; EXPIRED past its own `validUntil` or when its promotion
 * ended; EXHAUSTED at its own usage limit; ACTIVE otherwise (also while its promotion is still SCHEDULED).
 */
export function couponStatus(
  coupon: Pick<CouponRule, "validUntil" | "usageLimit" | "usageCount" | "deactivatedAt">,
  promotion: PromotionStatus,
  now: string,
): CouponStatus {
  if (coupon.deactivatedAt !== undefined || promotion === "DISABLED") return "DEACTIVATED";
  if (promotion === "EXPIRED") return "EXPIRED";
  if (coupon.validUntil !== undefined && Date.parse(now) >= Date.parse(coupon.validUntil)) return "EXPIRED";
  if (coupon.usageLimit !== undefined && coupon.usageCount >= coupon.usageLimit) return "EXHAUSTED";
  return "ACTIVE";
}

/** Whether a line falls in a promotion's scope. */
export function inScope(scope: ScopeRule, line: Pick<BasketLine, "productId" | "categoryIds">): boolean {
  switch (scope.type) {
    case "ORDER":
      return true;
    case "PRODUCTS":
      return scope.productIds.includes(line.productId);
    case "CATEGORIES":
      return line.categoryIds.some((categoryId) => scope.categoryIds.includes(categoryId));
  }
}

/** What a promotion takes off `base` (the amount of its lines): percent rounded down, fixed capped at `base`. */
export function discountOf(rule: DiscountRule, base: number): number {
  if (base <= 0) return 0;
  if (rule.type === "PERCENT") return Math.floor((base * rule.percentOff) / 100);
  return Math.min(rule.amountOff.amount, base);
}

/**
 * Split `amount` over lines in proportion to `weights` (what is left of each line), rounding each share down; the
 * remainder goes to the first line that can still take it, then the next. No share exceeds its weight, so as long
 * as `amount` ≤ Σ weights the shares add up to `amount` exactly.
 */
export function spread(amount: number, weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (amount <= 0 || total <= 0) return weights.map(() => 0);
  // BigInt: amount × weight can pass 2^53 for large baskets (amounts go up to 10^11 minor units).
  const shares = weights.map((weight) => Number((BigInt(amount) * BigInt(weight)) / BigInt(total)));
  let remainder = amount - shares.reduce((sum, share) => sum + share, 0);
  for (let index = 0; index < shares.length && remainder > 0; index++) {
    const room = Math.max(0, weights[index]! - shares[index]!);
    const take = Math.min(room, remainder);
    shares[index]! += take;
    remainder -= take;
  }
  return shares;
}
