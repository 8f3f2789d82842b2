import { type CouponRejectionReason, type CouponRule, type PromotionRule, promotionStatus } from "./discount-rules.js";

/** Whether a coupon or promotion may apply, and why not when it may not. */
export type Eligibility =
  | { readonly eligible: true }
  | { readonly eligible: false; readonly reason: CouponRejectionReason };

const ELIGIBLE: Eligibility = { eligible: true };

/** Not eligible, for `reason`. */
export const reject = (reason: CouponRejectionReason): Eligibility => ({ eligible: false, reason });

/** A coupon's own limits: deactivation, its window, its usage in total and by the customer. */
export function couponEligibility(coupon: CouponRule, customerId: string, now: string): Eligibility {
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

/** A promotion's rules against a basket: status, usage limits, currency, minimum subtotal, lines in scope. */
export function promotionEligibility(
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
