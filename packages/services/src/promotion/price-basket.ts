import {
  type AppliedFlashSale,
  type AppliedPromotionResult,
  type BasketInput,
  type BasketLine,
  type CouponRejectionReason,
  discountOf,
  type FlashSalePrice,
  inScope,
  type PricedBasket,
  type PricedLine,
  type PromotionRule,
  spread,
} from "./discount-rules.js";
import { couponEligibility, type Eligibility, promotionEligibility, reject } from "./promotion-eligibility.js";

/** A basket line at the price it is charged: the flash sale's when one applies (rule 1), else its list price. */
interface ChargedLine {
  readonly line: BasketLine;
  readonly sale: FlashSalePrice | undefined;
  readonly unitPrice: number;
  readonly listSubtotal: number;
  readonly lineSubtotal: number;
}

/** An eligible promotion, the lines it may discount (by index) and what it would take off on its own. */
interface Candidate {
  readonly promotion: PromotionRule;
  readonly indexes: number[];
  readonly alone: number;
}

/** The entered coupon as checked on its own, and the promotion it names. */
interface CouponCheck {
  readonly check: Eligibility | undefined;
  readonly promotionId: string | undefined;
}

const byCreation = (a: PromotionRule, b: PromotionRule) =>
  a.createdAt === b.createdAt
    ? a.promotionId < b.promotionId
      ? -1
      : a.promotionId > b.promotionId
        ? 1
        : 0
    : Date.parse(a.createdAt) - Date.parse(b.createdAt);

const sum = (amounts: readonly number[]) => amounts.reduce((total, amount) => total + amount, 0);

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
  const { currency, coupon } = input;
  const charged = chargeLines(input);
  const subtotal = sum(charged.map((line) => line.lineSubtotal));
  const listSubtotal = sum(charged.map((line) => line.listSubtotal));
  const couponCheck = checkCoupon(input);
  const { candidates, couponReason } = candidatesOf(input, charged, subtotal, couponCheck);
  const chosen = chosenOf(candidates);
  const { discounts, appliedPromotions } = applyPromotions(charged, chosen, input, couponCheck);
  const couponApplied =
    couponCheck.check?.eligible === true &&
    appliedPromotions.some((applied) => applied.promotionId === couponCheck.promotionId);
  const discountTotal = sum(discounts);
  return {
    currency,
    lines: pricedLinesOf(charged, discounts),
    listSubtotal,
    subtotal,
    flashSaleSavings: listSubtotal - subtotal,
    flashSales: flashSalesOf(charged),
    discountTotal,
    total: subtotal - discountTotal,
    appliedPromotions,
    ...(coupon === undefined
      ? {}
      : {
          coupon: couponApplied
            ? { code: coupon.code, applied: true }
            : {
                code: coupon.code,
                applied: false,
                rejectionReason: couponReason ?? unappliedReason(candidates, chosen, couponCheck),
              },
        }),
  };
}

/** Each line at the price it is charged (rule 1). */
function chargeLines({ lines, flashSales, currency }: BasketInput): ChargedLine[] {
  const sales = new Map<string, FlashSalePrice>();
  for (const sale of flashSales) sales.set(sale.productId, sale);
  return lines.map((line) => {
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
}

/** The entered coupon's own check: NOT_FOUND for a code that names none. */
function checkCoupon({ coupon, customerId, now }: BasketInput): CouponCheck {
  const check =
    coupon === undefined
      ? undefined
      : coupon.found === undefined
        ? reject("NOT_FOUND")
        : couponEligibility(coupon.found, customerId, now);
  return { check, promotionId: coupon?.found?.promotionId };
}

/**
 * The eligible promotions (rule 2), and why the coupon cannot apply when that is known already: its own check, its
 * promotion not in force, or its promotion's eligibility.
 */
function candidatesOf(
  input: BasketInput,
  charged: readonly ChargedLine[],
  subtotal: number,
  { check, promotionId }: CouponCheck,
): { candidates: Candidate[]; couponReason: CouponRejectionReason | undefined } {
  const { currency, customerId, now } = input;
  const candidates: Candidate[] = [];
  let couponReason: CouponRejectionReason | undefined = check?.eligible === false ? check.reason : undefined;
  if (input.coupon?.found && check?.eligible && !input.promotions.some((p) => p.promotionId === promotionId)) {
    // The caller could not find the coupon's promotion: it cannot be in force.
    couponReason = "EXPIRED";
  }
  for (const promotion of input.promotions) {
    const isCouponPromotion = promotion.promotionId === promotionId;
    if (promotion.requiresCoupon && !(isCouponPromotion && check?.eligible)) continue;
    // Lines a promotion may discount: in its scope and not already at a sale price.
    const indexes = charged.flatMap((line, index) =>
      line.sale === undefined && inScope(promotion.scope, line.line) ? [index] : [],
    );
    const base = sum(indexes.map((index) => charged[index]!.lineSubtotal));
    const eligibility = promotionEligibility(promotion, { currency, subtotal, scopedAmount: base, customerId, now });
    if (!eligibility.eligible) {
      if (isCouponPromotion && couponReason === undefined) couponReason = eligibility.reason;
      continue;
    }
    candidates.push({ promotion, indexes, alone: discountOf(promotion.discount, base) });
  }
  return { candidates, couponReason };
}

/** The promotions that apply (rule 3), in creation order. */
function chosenOf(candidates: readonly Candidate[]): Candidate[] {
  let best: Candidate | undefined;
  for (const candidate of candidates) {
    if (candidate.promotion.stackable) continue;
    if (
      best === undefined ||
      candidate.alone > best.alone ||
      (candidate.alone === best.alone && byCreation(candidate.promotion, best.promotion) < 0)
    )
      best = candidate;
  }
  return candidates
    .filter((candidate) => candidate.promotion.stackable || candidate === best)
    .sort((a, b) => byCreation(a.promotion, b.promotion));
}

/** Each chosen promotion's discount, spread over what the earlier ones left of its lines (rule 4). */
function applyPromotions(
  charged: readonly ChargedLine[],
  chosen: readonly Candidate[],
  input: BasketInput,
  couponCheck: CouponCheck,
): { discounts: number[]; appliedPromotions: AppliedPromotionResult[] } {
  const remaining = charged.map((line) => (line.sale === undefined ? line.lineSubtotal : 0));
  const discounts = charged.map(() => 0);
  const appliedPromotions: AppliedPromotionResult[] = [];
  for (const { promotion, indexes } of chosen) {
    const weights = indexes.map((index) => remaining[index]!);
    const amount = discountOf(promotion.discount, sum(weights));
    if (amount <= 0) continue;
    const shares = spread(amount, weights);
    indexes.forEach((lineIndex, position) => {
      remaining[lineIndex]! -= shares[position]!;
      discounts[lineIndex]! += shares[position]!;
    });
    const couponCode =
      promotion.promotionId === couponCheck.promotionId && couponCheck.check?.eligible
        ? input.coupon?.found?.code
        : undefined;
    appliedPromotions.push({
      promotionId: promotion.promotionId,
      name: promotion.name,
      ...(couponCode === undefined ? {} : { couponCode }),
      amount,
    });
  }
  return { discounts, appliedPromotions };
}

/**
 * Why an eligible coupon did not apply: a larger non-stackable promotion won (OUTDONE), or it was chosen but left
 * nothing to take (NO_ELIGIBLE_ITEMS).
 */
function unappliedReason(
  candidates: readonly Candidate[],
  chosen: readonly Candidate[],
  { promotionId }: CouponCheck,
): CouponRejectionReason {
  const wasCandidate = candidates.some((candidate) => candidate.promotion.promotionId === promotionId);
  return wasCandidate && !chosen.some((candidate) => candidate.promotion.promotionId === promotionId)
    ? "OUTDONE"
    : "NO_ELIGIBLE_ITEMS";
}

/** The priced lines, each with its share of the discounts. */
function pricedLinesOf(charged: readonly ChargedLine[], discounts: readonly number[]): PricedLine[] {
  return charged.map((line, index) => ({
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
}

/** The flash sales that lowered some price, each with what it saved over all its lines. */
function flashSalesOf(charged: readonly ChargedLine[]): AppliedFlashSale[] {
  const flashSales: AppliedFlashSale[] = [];
  for (const line of charged) {
    if (line.sale === undefined) continue;
    const saving = line.listSubtotal - line.lineSubtotal;
    const known = flashSales.find((sale) => sale.flashSaleId === line.sale!.flashSaleId);
    if (known) flashSales[flashSales.indexOf(known)] = { ...known, amount: known.amount + saving };
    else flashSales.push({ flashSaleId: line.sale.flashSaleId, name: line.sale.name, amount: saving });
  }
  return flashSales;
}
