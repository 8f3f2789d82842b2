import type { promotionApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin } from "../platform/index.js";
import { promotionStatus } from "./discount-rules.js";
import { listPage } from "./filtered-page.js";
import { type CouponRow, isoTime, statusOfPromotion, toCouponView } from "./promotion-records.js";
import { promotionRow } from "./promotion-rest.js";
import type { PromotionDatabase } from "./store.js";

const COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

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
      const request = body ?? {};
      const code = await db.transaction().execute(async (trx) => {
        const promotion = await promotionRow(trx, path.promotionId);
        const status = statusOfPromotion(promotion, at);
        if (status === "DISABLED" || status === "EXPIRED")
          throw fail.conflict(`Promotion ${path.promotionId} is ${status}; its coupons would never work.`);
        let code = request.code;
        if (code !== undefined) {
          const taken = await trx.selectFrom("coupons").select("code").where("code", "=", code).executeTakeFirst();
          if (taken) throw fail.conflict(`The coupon code ${code} is taken; choose another or leave code out.`);
        } else {
          for (;;) {
            code = Array.from({ length: 10 }, () => COUPON_ALPHABET[Math.floor(runtime.random() * 32)]).join("");
            const taken = await trx.selectFrom("coupons").select("code").where("code", "=", code).executeTakeFirst();
            if (!taken) break;
          }
        }
        await trx
          .insertInto("coupons")
          .values({
            code,
            promotion_id: path.promotionId,
            usage_limit: request.usageLimit ?? null,
            per_customer_limit: request.perCustomerLimit ?? null,
            usage_count: 0,
            valid_until: request.validUntil === undefined ? null : isoTime(request.validUntil),
            created_at: at,
            deactivated_at: null,
          })
          .execute();
        return code;
      });
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
          read: (after, count) => {
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
            if (query.promotionId !== undefined) select = select.where("coupon.promotion_id", "=", query.promotionId);
            if (after)
              select = select.where((eb) =>
                eb.or([
                  eb("coupon.created_at", "<", after.key),
                  eb.and([eb("coupon.created_at", "=", after.key), eb("coupon.code", "<", after.id)]),
                ]),
              );
            return select.execute();
          },
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

/** A coupons row joined with the fields of its promotion that decide its status. */
interface CouponListRow extends CouponRow {
  valid_from: string;
  promotion_valid_until: string | null;
  promotion_usage_limit: number | null;
  promotion_usage_count: number;
  disabled_at: string | null;
}

/** A coupon's view from a list row. */
function couponViewOf(row: CouponListRow, at: string) {
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
