import type { ContextRuntime } from "../platform/index.js";
import type { PromotionDatabase } from "./store.js";

/** Seeded coupon: 10% off the whole order, no minimum. */
export const WELCOME10_COUPON = "WELCOME10";
/** Seeded coupon: $5 off orders of $30 or more (USD). */
export const SAVE5_COUPON = "SAVE5";

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Seed an empty store with two coupon promotions a first checkout can use. Their window starts at the clock's
 * time when seeded — the seeded epoch (2026-01-01) under `--seed`, the real time otherwise — and lasts a year.
 * Neither has usage limits, so a demo can check out with them again and again.
 */
export async function seedCoupons(runtime: ContextRuntime<PromotionDatabase>): Promise<void> {
  await runtime.db.transaction().execute(async (trx) => {
    const any = await trx.selectFrom("promotions").select("promotion_id").limit(1).executeTakeFirst();
    if (any) return;
    const now = runtime.clock.now();
    const at = now.toISOString();
    const until = new Date(now.getTime() + YEAR_MS).toISOString();
    const common = {
      valid_from: at,
      valid_until: until,
      usage_limit: null,
      per_customer_limit: null,
      requires_coupon: 1,
      stackable: 0,
      usage_count: 0,
      created_at: at,
      updated_at: at,
      disabled_at: null,
      scope_type: "ORDER",
      scope_ids: "[]",
    };
    const welcome = runtime.ids.next("prm");
    const save5 = runtime.ids.next("prm");
    await trx
      .insertInto("promotions")
      .values([
        {
          ...common,
          promotion_id: welcome,
          name: "Welcome 10% off",
          description: `Ten percent off your order with code ${WELCOME10_COUPON}.`,
          discount_type: "PERCENT",
          percent_off: 10,
          amount_off: null,
          amount_off_currency: null,
          minimum_amount: null,
          minimum_currency: null,
        },
        {
          ...common,
          promotion_id: save5,
          name: "$5 off $30",
          description: `Five dollars off orders of 30 dollars or more with code ${SAVE5_COUPON}.`,
          discount_type: "FIXED_AMOUNT",
          percent_off: null,
          amount_off: 500,
          amount_off_currency: "USD",
          minimum_amount: 3000,
          minimum_currency: "USD",
        },
      ])
      .execute();
    const coupon = {
      usage_limit: null,
      per_customer_limit: null,
      usage_count: 0,
      valid_until: null,
      created_at: at,
      deactivated_at: null,
    };
    await trx
      .insertInto("coupons")
      .values([
        { ...coupon, code: WELCOME10_COUPON, promotion_id: welcome },
        { ...coupon, code: SAVE5_COUPON, promotion_id: save5 },
      ])
      .execute();
  });
}
