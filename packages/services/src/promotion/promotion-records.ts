import type { promotionApi } from "@ecom/sdk";
import type { Selectable } from "kysely";
import {
  type CouponRule,
  couponStatus,
  type DiscountRule,
  type PromotionRule,
  type PromotionStatus,
  promotionStatus,
  type ScopeRule,
} from "./discount-rules.js";
import type { CouponsTable, FlashSaleItemsTable, FlashSalesTable, PromotionsTable } from "./store.js";

type Schemas = promotionApi.components["schemas"];
/** A promotion as the REST contract shows it. */
export type PromotionView = Schemas["Promotion"];
/** A coupon as the REST contract shows it. */
export type CouponView = Schemas["Coupon"];
/** A flash sale as the REST contract shows it. */
export type FlashSaleView = Schemas["FlashSale"];
/** A flash sale's state. */
export type FlashSaleStatus = Schemas["FlashSaleStatus"];

/** A promotions row. */
export type PromotionRow = Selectable<PromotionsTable>;
/** A coupons row. */
export type CouponRow = Selectable<CouponsTable>;
/** A flash_sales row. */
export type FlashSaleRow = Selectable<FlashSalesTable>;
/** A flash_sale_items row. */
export type FlashSaleItemRow = Selectable<FlashSaleItemsTable>;

const optional = <TKey extends string, TValue>(key: TKey, value: TValue | null | undefined) =>
  (value === null || value === undefined ? {} : { [key]: value }) as { [K in TKey]?: TValue };

/** Normalise a contract timestamp (any RFC 3339 offset) to the stored `toISOString()` form. */
export const isoTime = (value: string): string => new Date(value).toISOString();

/** The discount rule a row holds. */
export function discountOfRow(row: PromotionRow): DiscountRule {
  return row.discount_type === "PERCENT"
    ? { type: "PERCENT", percentOff: row.percent_off ?? 0 }
    : { type: "FIXED_AMOUNT", amountOff: { amount: row.amount_off ?? 0, currency: row.amount_off_currency ?? "" } };
}

/** The scope a row holds. */
export function scopeOfRow(row: PromotionRow): ScopeRule {
  const ids = JSON.parse(row.scope_ids) as string[];
  if (row.scope_type === "PRODUCTS") return { type: "PRODUCTS", productIds: ids };
  if (row.scope_type === "CATEGORIES") return { type: "CATEGORIES", categoryIds: ids };
  return { type: "ORDER" };
}

/** The row's rule, with the quoted customer's uses of it. */
export function promotionRule(row: PromotionRow, customerUsageCount: number): PromotionRule {
  return {
    promotionId: row.promotion_id,
    name: row.name,
    discount: discountOfRow(row),
    scope: scopeOfRow(row),
    minimumSubtotal:
      row.minimum_amount === null ? undefined : { amount: row.minimum_amount, currency: row.minimum_currency ?? "" },
    validFrom: row.valid_from,
    validUntil: row.valid_until ?? undefined,
    usageLimit: row.usage_limit ?? undefined,
    perCustomerLimit: row.per_customer_limit ?? undefined,
    requiresCoupon: row.requires_coupon === 1,
    stackable: row.stackable === 1,
    usageCount: row.usage_count,
    customerUsageCount,
    createdAt: row.created_at,
    disabledAt: row.disabled_at ?? undefined,
  };
}

/** The row's coupon rule, with the quoted customer's uses of it. */
export function couponRule(row: CouponRow, customerUsageCount: number): CouponRule {
  return {
    code: row.code,
    promotionId: row.promotion_id,
    usageLimit: row.usage_limit ?? undefined,
    perCustomerLimit: row.per_customer_limit ?? undefined,
    usageCount: row.usage_count,
    customerUsageCount,
    validUntil: row.valid_until ?? undefined,
    deactivatedAt: row.deactivated_at ?? undefined,
  };
}

/** The promotion's status now. */
export function statusOfPromotion(row: PromotionRow, now: string) {
  return promotionStatus(promotionRule(row, 0), now);
}

/** The REST view of a promotion. */
export function toPromotionView(row: PromotionRow, now: string): PromotionView {
  const rule = promotionRule(row, 0);
  return {
    promotionId: row.promotion_id,
    name: row.name,
    ...optional("description", row.description),
    status: promotionStatus(rule, now),
    discount: rule.discount as Schemas["Discount"],
    scope: rule.scope as Schemas["Scope"],
    ...optional("minimumSubtotal", rule.minimumSubtotal),
    validFrom: row.valid_from,
    ...optional("validUntil", row.valid_until),
    ...optional("usageLimit", row.usage_limit),
    ...optional("perCustomerLimit", row.per_customer_limit),
    requiresCoupon: rule.requiresCoupon,
    stackable: rule.stackable,
    usageCount: row.usage_count,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...optional("disabledAt", row.disabled_at),
  };
}

/** The REST view of a coupon; its status depends on its promotion's. */
export function toCouponView(row: CouponRow, promotion: PromotionStatus, now: string): CouponView {
  return {
    code: row.code,
    promotionId: row.promotion_id,
    status: couponStatus(couponRule(row, 0), promotion, now),
    ...optional("usageLimit", row.usage_limit),
    ...optional("perCustomerLimit", row.per_customer_limit),
    usageCount: row.usage_count,
    ...optional("validUntil", row.valid_until),
    createdAt: row.created_at,
    ...optional("deactivatedAt", row.deactivated_at),
  };
}

/** SCHEDULED before `startsAt`, ACTIVE until `endsAt` (exclusive), then ENDED; CANCELED when an admin canceled it. */
export function flashSaleStatus(
  sale: Pick<FlashSaleRow, "starts_at" | "ends_at" | "canceled_at">,
  now: string,
): FlashSaleStatus {
  if (sale.canceled_at !== null) return "CANCELED";
  if (now < sale.starts_at) return "SCHEDULED";
  if (now < sale.ends_at) return "ACTIVE";
  return "ENDED";
}

/** The contract's items of a sale, in their order. */
export function flashSaleItems(items: readonly FlashSaleItemRow[]): Schemas["FlashSaleItem"][] {
  return [...items]
    .sort((a, b) => a.position - b.position)
    .map((item) => ({
      productId: item.product_id,
      salePrice: { amount: item.sale_amount, currency: item.currency },
      ...optional("maxPerCustomer", item.max_per_customer),
    }));
}

/** The REST view of a flash sale. */
export function toFlashSaleView(row: FlashSaleRow, items: readonly FlashSaleItemRow[], now: string): FlashSaleView {
  return {
    flashSaleId: row.flash_sale_id,
    name: row.name,
    status: flashSaleStatus(row, now),
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    items: flashSaleItems(items),
    createdAt: row.created_at,
    ...optional("canceledAt", row.canceled_at),
  };
}
