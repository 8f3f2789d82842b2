import type { promotionApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, fail } from "../platform/index.js";
import { isoTime, statusOfPromotion } from "./promotion-records.js";
import { promotionRow } from "./promotion-rest.js";
import type { PromotionDatabase } from "./store.js";

type CreateCouponRequest = promotionApi.components["schemas"]["CreateCouponRequest"];

const COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/**
 * Store a new coupon of `promotionId` as `request` asks, at `at`, in one transaction: refused while the promotion is
 * DISABLED or EXPIRED (its coupons would never work) or when the code asked for is taken. Answers its code: the one
 * asked for, or ten random characters of an alphabet without look-alikes, drawn again while taken.
 */
export function insertCoupon(
  runtime: ContextRuntime<PromotionDatabase>,
  promotionId: string,
  request: CreateCouponRequest,
  at: string,
): Promise<string> {
  return runtime.db.transaction().execute(async (trx) => {
    const promotion = await promotionRow(trx, promotionId);
    const status = statusOfPromotion(promotion, at);
    if (status === "DISABLED" || status === "EXPIRED")
      throw fail.conflict(`Promotion ${promotionId} is ${status}; its coupons would never work.`);
    const code = request.code ?? (await freeCode(runtime, trx));
    if (request.code !== undefined && (await codeTaken(trx, code)))
      throw fail.conflict(`The coupon code ${code} is taken; choose another or leave code out.`);
    await trx
      .insertInto("coupons")
      .values({
        code,
        promotion_id: promotionId,
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
}

async function codeTaken(trx: Transaction<PromotionDatabase>, code: string): Promise<boolean> {
  return (await trx.selectFrom("coupons").select("code").where("code", "=", code).executeTakeFirst()) !== undefined;
}

/** A random code no coupon has (the platform's random, so `--seed` makes the same codes). */
async function freeCode(runtime: ContextRuntime<PromotionDatabase>, trx: Transaction<PromotionDatabase>) {
  for (;;) {
    const code = Array.from({ length: 10 }, () => COUPON_ALPHABET[Math.floor(runtime.random() * 32)]).join("");
    if (!(await codeTaken(trx, code))) return code;
  }
}
