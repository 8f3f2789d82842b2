import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin } from "../platform/index.js";
import { couponViewOf, readCoupons } from "./coupon-reads.js";
import { insertCoupon } from "./coupon-writes.js";
import { listPage } from "./filtered-page.js";
import { statusOfPromotion, toCouponView } from "./promotion-records.js";
import { promotionRow } from "./promotion-rest.js";
import type { PromotionDatabase } from "./store.js";

/** The promotion context's REST operations on coupons (contracts/openapi/promotion.yaml). */
export function couponRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): Pick<RestHandlers<promotionApi.operations>, "createCoupon" | "listCoupons" | "getCoupon" | "deactivateCoupon"> {
  const { db, clock } = runtime;
  const now = () => clock.now().toISOString();

  return {
    async createCoupon({ path, body, principal }) {
      requireAdmin(principal);
      const at = now();
      const code = await insertCoupon(runtime, path.promotionId, body ?? {}, at);
      const coupon = await db.selectFrom("coupons").selectAll().where("code", "=", code).executeTakeFirstOrThrow();
      return {
        status: 201,
        headers: { location: `/coupons/${code}` },
        body: toCouponView(coupon, statusOfPromotion(await promotionRow(db, path.promotionId), at), at),
      };
    },

    async listCoupons({ query, principal }) {
      requireAdmin(principal);
      const at = now();
      return listPage(
        query,
        {
          filters: { promotionId: query.promotionId, status: query.status },
          read: (after, count) => readCoupons(db, query.promotionId, after, count),
          keep: (row) => query.status === undefined || couponViewOf(row, at).status === query.status,
          positionOf: (row) => ({ key: row.created_at, id: row.code }),
        },
        (rows) => rows.map((row) => couponViewOf(row, at)),
      );
    },

    async getCoupon({ path, principal }) {
      requireAdmin(principal);
      const coupon = await db.selectFrom("coupons").selectAll().where("code", "=", path.code).executeTakeFirst();
      if (!coupon) throw fail.notFound(`coupon ${path.code}`);
      return {
        status: 200,
        body: toCouponView(coupon, statusOfPromotion(await promotionRow(db, coupon.promotion_id), now()), now()),
      };
    },

    async deactivateCoupon({ path, principal }) {
      requireAdmin(principal);
      const at = now();
      await db
        .updateTable("coupons")
        .set({ deactivated_at: at })
        .where("code", "=", path.code)
        .where("deactivated_at", "is", null)
        .execute();
      const coupon = await db.selectFrom("coupons").selectAll().where("code", "=", path.code).executeTakeFirst();
      if (!coupon) throw fail.notFound(`coupon ${path.code}`);
      return {
        status: 200,
        body: toCouponView(coupon, statusOfPromotion(await promotionRow(db, coupon.promotion_id), at), at),
      };
    },
  };
}
