import type { Kysely } from "kysely";
import { promotionStatus } from "./discount-rules.js";
import type { PagePosition } from "./filtered-page.js";
import { type CouponRow, toCouponView } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

/**
 * Up to `count` coupons (of `promotionId` when given), newest first, after `after`, each with the fields of its
 * promotion that decide its status: one batch of listCoupons' keyset scan.
 */
export function readCoupons(
  db: Kysely<PromotionDatabase>,
  promotionId: string | undefined,
  after: PagePosition | undefined,
  count: number,
): Promise<CouponListRow[]> {
  let select = db
    .selectFrom("coupons as coupon")
    .innerJoin("promotions as promotion", "promotion.promotion_id", "coupon.promotion_id")
    .selectAll("coupon")
    .select([
      "promotion.valid_from",
      "promotion.valid_until as promotion_valid_until",
      "promotion.usage_limit as promotion_usage_limit",
      "promotion.usage_count as promotion_usage_count",
      "promotion.disabled_at",
    ])
    .orderBy("coupon.created_at", "desc")
    .orderBy("coupon.code", "desc")
    .limit(count);
  if (promotionId !== undefined) select = select.where("coupon.promotion_id", "=", promotionId);
  if (after)
    select = select.where((eb) =>
      eb.or([
        eb("coupon.created_at", "<", after.key),
        eb.and([eb("coupon.created_at", "=", after.key), eb("coupon.code", "<", after.id)]),
      ]),
    );
  return select.execute();
}

/** A coupons row joined with the fields of its promotion that decide its status. */
export interface CouponListRow extends CouponRow {
  valid_from: string;
  promotion_valid_until: string | null;
  promotion_usage_limit: number | null;
  promotion_usage_count: number;
  disabled_at: string | null;
}

/** A coupon's view from a list row. */
export function couponViewOf(row: CouponListRow, at: string) {
  const status = promotionStatus(
    {
      validFrom: row.valid_from,
      validUntil: row.promotion_valid_until ?? undefined,
      usageLimit: row.promotion_usage_limit ?? undefined,
      usageCount: row.promotion_usage_count,
      disabledAt: row.disabled_at ?? undefined,
    },
    at,
  );
  return toCouponView(row, status, at);
}
