/**
 * The discount rules of the promotion context, as pure functions: the REST quote (`POST /promotions/quote`) and
 * the `PromotionService/CalculateDiscount` RPC both price a basket with {@link priceBasket}, so a quote and the
 * discount charged at checkout can never disagree. No I/O here: the caller loads the promotions, the coupon and
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

/** Everything {@link priceBasket} decides on. */
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

type Eligibility = { readonly eligible: true } | { readonly eligible: false; readonly reason: CouponRejectionReason };

const ELIGIBLE: Eligibility = { eligible: true };
const reject = (reason: CouponRejectionReason): Eligibility => ({ eligible: false, reason });

function couponEligibility(coupon: CouponRule, customerId: string, now: string): Eligibility {
  if (coupon.deactivatedAt !== undefined) return reject("DEACTIVATED");
  if (coupon.validUntil !== undefined && Date.parse(now) >= Date.parse(coupon.validUntil)) return reject("EXPIRED");
  if (coupon.usageLimit !== undefined && coupon.usageCount >= coupon.usageLimit) return reject("USAGE_LIMIT_REACHED");
  if (coupon.perCustomerLimit !== undefined) {
    // A guest's uses cannot be counted, so a per-customer limit shuts guests out.
    if (customerId === "") return reject("CUSTOMER_NOT_ELIGIBLE");
    if (coupon.customerUsageCount >= coupon.perCustomerLimit) return reject("CUSTOMER_LIMIT_REACHED");
  }
  return ELIGIBLE;
}

function promotionEligibility(
  promotion: PromotionRule,
  basket: { currency: string; subtotal: number; scopedAmount: number; customerId: string; now: string },
): Eligibility {
  const status = promotionStatus(promotion, basket.now);
  if (status === "DISABLED") return reject("DEACTIVATED");
  if (status === "SCHEDULED") return reject("NOT_STARTED");
  if (status === "EXPIRED")
    return reject(
      promotion.usageLimit !== undefined && promotion.usageCount >= promotion.usageLimit
        ? "USAGE_LIMIT_REACHED"
        : "EXPIRED",
    );
  if (promotion.perCustomerLimit !== undefined) {
    if (basket.customerId === "") return reject("CUSTOMER_NOT_ELIGIBLE");
    if (promotion.customerUsageCount >= promotion.perCustomerLimit) return reject("CUSTOMER_LIMIT_REACHED");
  }
  if (promotion.discount.type === "FIXED_AMOUNT" && promotion.discount.amountOff.currency !== basket.currency)
    return reject("CURRENCY_MISMATCH");
  if (promotion.minimumSubtotal !== undefined) {
    if (promotion.minimumSubtotal.currency !== basket.currency) return reject("CURRENCY_MISMATCH");
    if (basket.subtotal < promotion.minimumSubtotal.amount) return reject("MINIMUM_NOT_MET");
  }
  if (basket.scopedAmount <= 0) return reject("NO_ELIGIBLE_ITEMS");
  return ELIGIBLE;
}

const byCreation = (a: PromotionRule, b: PromotionRule) =>
  a.createdAt === b.createdAt
    ? a.promotionId < b.promotionId
      ? -1
      : a.promotionId > b.promotionId
        ? 1
        : 0
    : Date.parse(a.createdAt) - Date.parse(b.createdAt);

/**
 * Price a basket: flash-sale prices first, then the promotions, by the rules of `POST /promotions/quote`:
 *
 * 1. A line whose product is in a running flash sale (in the basket's currency, below the list price, and within
 *    the sale's per-customer quantity) is charged the sale price, and no promotion discounts it again.
 * 2. A promotion is eligible when it is ACTIVE, under its usage limits (in total and for the customer), in the
 *    basket's currency, the subtotal at the prices charged reaches its minimum, some line is in its scope, and,
 *    if it requires a coupon, the entered coupon is one of its usable codes.
 * 3. Every eligible stackable promotion applies; of the non-stackable ones only the one giving the largest
 *    discount on its own (the earliest created on a tie) applies.
 * 4. The applied promotions take their discount one after another in creation order, each on what the earlier
 *    ones left of its lines, so the total discount never exceeds the subtotal.
 */
export function priceBasket(input: BasketInput): PricedBasket {
  const { currency, customerId, now } = input;

  const sales = new Map<string, FlashSalePrice>();
  for (const sale of input.flashSales) sales.set(sale.productId, sale);
  const priced = input.lines.map((line) => {
    const sale = sales.get(line.productId);
    const applies =
      sale !== undefined &&
      sale.salePrice.currency === currency &&
      sale.salePrice.amount < line.listPrice.amount &&
      (sale.maxPerCustomer === undefined || line.quantity <= sale.maxPerCustomer);
    const unitPrice = applies ? sale.salePrice.amount : line.listPrice.amount;
    return {
      line,
      sale: applies ? sale : undefined,
      unitPrice,
      listSubtotal: line.listPrice.amount * line.quantity,
      lineSubtotal: unitPrice * line.quantity,
    };
  });
  const subtotal = priced.reduce((sum, line) => sum + line.lineSubtotal, 0);
  const listSubtotal = priced.reduce((sum, line) => sum + line.listSubtotal, 0);

  // Lines a promotion may discount: in its scope and not already at a sale price.
  const scopedIndexes = (promotion: PromotionRule) =>
    priced.flatMap((line, index) => (line.sale === undefined && inScope(promotion.scope, line.line) ? [index] : []));
  const scopedAmount = (indexes: readonly number[]) =>
    indexes.reduce((sum, index) => sum + priced[index]!.lineSubtotal, 0);

  const coupon = input.coupon;
  const couponCheck: Eligibility | undefined =
    coupon === undefined
      ? undefined
      : coupon.found === undefined
        ? reject("NOT_FOUND")
        : couponEligibility(coupon.found, customerId, now);
  const couponPromotionId = coupon?.found?.promotionId;

  const candidates: { promotion: PromotionRule; indexes: number[]; alone: number }[] = [];
  let couponReason: CouponRejectionReason | undefined =
    couponCheck?.eligible === false ? couponCheck.reason : undefined;
  if (coupon?.found && couponCheck?.eligible && !input.promotions.some((p) => p.promotionId === couponPromotionId)) {
    // The caller could not find the coupon's promotion: it cannot be in force.
    couponReason = "EXPIRED";
  }
  for (const promotion of input.promotions) {
    const isCouponPromotion = promotion.promotionId === couponPromotionId;
    if (promotion.requiresCoupon && !(isCouponPromotion && couponCheck?.eligible)) continue;
    const indexes = scopedIndexes(promotion);
    const base = scopedAmount(indexes);
    const eligibility = promotionEligibility(promotion, { currency, subtotal, scopedAmount: base, customerId, now });
    if (!eligibility.eligible) {
      if (isCouponPromotion && couponReason === undefined) couponReason = eligibility.reason;
      continue;
    }
    candidates.push({ promotion, indexes, alone: discountOf(promotion.discount, base) });
  }

  let best: (typeof candidates)[number] | undefined;
  for (const candidate of candidates) {
    if (candidate.promotion.stackable) continue;
    if (
      best === undefined ||
      candidate.alone > best.alone ||
      (candidate.alone === best.alone && byCreation(candidate.promotion, best.promotion) < 0)
    )
      best = candidate;
  }
  const chosen = candidates
    .filter((candidate) => candidate.promotion.stackable || candidate === best)
    .sort((a, b) => byCreation(a.promotion, b.promotion));

  const remaining = priced.map((line) => (line.sale === undefined ? line.lineSubtotal : 0));
  const discounts = priced.map(() => 0);
  const appliedPromotions: AppliedPromotionResult[] = [];
  for (const { promotion, indexes } of chosen) {
    const weights = indexes.map((index) => remaining[index]!);
    const amount = discountOf(
      promotion.discount,
      weights.reduce((sum, weight) => sum + weight, 0),
    );
    if (amount <= 0) continue;
    const shares = spread(amount, weights);
    indexes.forEach((lineIndex, position) => {
      remaining[lineIndex]! -= shares[position]!;
      discounts[lineIndex]! += shares[position]!;
    });
    const couponCode =
      promotion.promotionId === couponPromotionId && couponCheck?.eligible ? coupon?.found?.code : undefined;
    appliedPromotions.push({
      promotionId: promotion.promotionId,
      name: promotion.name,
      ...(couponCode === undefined ? {} : { couponCode }),
      amount,
    });
  }

  const couponApplied =
    couponCheck?.eligible === true && appliedPromotions.some((applied) => applied.promotionId === couponPromotionId);
  if (coupon !== undefined && !couponApplied && couponReason === undefined) {
    const wasCandidate = candidates.some((candidate) => candidate.promotion.promotionId === couponPromotionId);
    // Eligible but not chosen: a larger non-stackable promotion won; chosen but left nothing to take: no items.
    couponReason =
      wasCandidate && !chosen.some((c) => c.promotion.promotionId === couponPromotionId)
        ? "OUTDONE"
        : "NO_ELIGIBLE_ITEMS";
  }

  const lines: PricedLine[] = priced.map((line, index) => ({
    productId: line.line.productId,
    quantity: line.line.quantity,
    listUnitPrice: line.line.listPrice.amount,
    unitPrice: line.unitPrice,
    ...(line.sale === undefined ? {} : { flashSaleId: line.sale.flashSaleId }),
    listSubtotal: line.listSubtotal,
    lineSubtotal: line.lineSubtotal,
    flashSaleSaving: line.listSubtotal - line.lineSubtotal,
    discount: discounts[index]!,
    lineTotal: line.lineSubtotal - discounts[index]!,
  }));

  const flashSales: AppliedFlashSale[] = [];
  for (const line of priced) {
    if (line.sale === undefined) continue;
    const saving = line.listSubtotal - line.lineSubtotal;
    const known = flashSales.find((sale) => sale.flashSaleId === line.sale!.flashSaleId);
    if (known) flashSales[flashSales.indexOf(known)] = { ...known, amount: known.amount + saving };
    else flashSales.push({ flashSaleId: line.sale.flashSaleId, name: line.sale.name, amount: saving });
  }

  const discountTotal = discounts.reduce((sum, discount) => sum + discount, 0);
  return {
    currency,
    lines,
    listSubtotal,
    subtotal,
    flashSaleSavings: listSubtotal - subtotal,
    flashSales,
    discountTotal,
    total: subtotal - discountTotal,
    appliedPromotions,
    ...(coupon === undefined
      ? {}
      : {
          coupon: couponApplied
            ? { code: coupon.code, applied: true }
            : { code: coupon.code, applied: false, rejectionReason: couponReason },
        }),
  };
}
