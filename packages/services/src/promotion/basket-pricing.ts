import type { Kysely } from "kysely";
import { type CompiledStatement, compileQuery, type Param } from "../platform/index.js";
import type { BasketLine, FlashSalePrice, PricedBasket, PromotionRule } from "./discount-rules.js";
import { priceBasket } from "./price-basket.js";
import { couponRule, promotionRule } from "./promotion-records.js";
import type { PromotionDatabase } from "./store.js";

/** A basket to price: lines at catalog list prices, who buys, and the code they entered. */
export interface BasketQuery {
  readonly currency: string;
  readonly lines: readonly BasketLine[];
  /** Empty for a guest. */
  readonly customerId: string;
  /** As entered; matched case-insensitively. Empty or undefined when none. */
  readonly couponCode?: string | undefined;
  readonly now: string;
}

/** Baskets of up to this many products read their flash sales with a statement compiled once per count. */
const COMPILED_BASKET_SIZES = 20;

type FlashSaleRow = {
  flash_sale_id: string;
  name: string;
  product_id: string;
  sale_amount: number;
  currency: string;
  max_per_customer: number | null;
};

/**
 * The reads every basket priced runs, built and compiled once per store (see compileQuery): the automatic promotions
 * in force, and the flash sales of its products (one statement per product count: an `in` list's length is in its SQL).
 */
function createBasketStatements(db: Kysely<PromotionDatabase>) {
  const flashSalesQuery = (db: Kysely<PromotionDatabase>, productIds: readonly string[], now: string) =>
    db
      .selectFrom("flash_sale_items as item")
      .innerJoin("flash_sales as sale", "sale.flash_sale_id", "item.flash_sale_id")
      .select([
        "sale.flash_sale_id",
        "sale.name",
        "item.product_id",
        "item.sale_amount",
        "item.currency",
        "item.max_per_customer",
      ])
      .where("item.product_id", "in", productIds)
      .where("sale.canceled_at", "is", null)
      .where("sale.starts_at", "<=", now)
      .where("sale.ends_at", ">", now);
  const bySize = new Map<number, CompiledStatement<Record<string, string>, FlashSaleRow>>();
  return {
    automatic: compileQuery((param: Param<{ now: string }>) =>
      db
        .selectFrom("promotions")
        .selectAll()
        .where("requires_coupon", "=", 0)
        .where("disabled_at", "is", null)
        .where("valid_from", "<=", param("now"))
        .where((eb) => eb.or([eb("valid_until", "is", null), eb("valid_until", ">", param("now"))])),
    ),
    async flashSales(productIds: readonly string[], now: string): Promise<FlashSaleRow[]> {
      if (productIds.length > COMPILED_BASKET_SIZES) return flashSalesQuery(db, productIds, now).execute();
      let statement = bySize.get(productIds.length);
      if (!statement) {
        statement = compileQuery((param: Param<Record<string, string>>) =>
          flashSalesQuery(
            db,
            productIds.map((_, index) => param(`id${index}`)),
            param("now"),
          ),
        );
        bySize.set(productIds.length, statement);
      }
      return statement.execute(db, {
        ...Object.fromEntries(productIds.map((productId, index) => [`id${index}`, productId])),
        now,
      });
    },
  };
}

/** The compiled reads of each store a basket was priced on (one: the promotion context's). */
const statementsOf = new WeakMap<Kysely<PromotionDatabase>, ReturnType<typeof createBasketStatements>>();

/**
 * Load what is in force for a basket — the automatic promotions, the entered coupon and its promotion, the
 * customer's past uses, the flash sales of its products — and price it with the pure rules. Reads only.
 */
export async function priceBasketFromStore(db: Kysely<PromotionDatabase>, query: BasketQuery): Promise<PricedBasket> {
  const { now, customerId } = query;
  const code = query.couponCode ? query.couponCode.trim().toUpperCase() : "";
  let statements = statementsOf.get(db);
  if (!statements) {
    statements = createBasketStatements(db);
    statementsOf.set(db, statements);
  }

  const automatic = await statements.automatic.execute(db, { now });
  const coupon =
    code === "" ? undefined : await db.selectFrom("coupons").selectAll().where("code", "=", code).executeTakeFirst();
  const couponPromotion =
    coupon === undefined || automatic.some((row) => row.promotion_id === coupon.promotion_id)
      ? undefined
      : await db
          .selectFrom("promotions")
          .selectAll()
          .where("promotion_id", "=", coupon.promotion_id)
          .executeTakeFirst();
  const rows = couponPromotion ? [...automatic, couponPromotion] : automatic;

  const uses = new Map<string, number>();
  let couponUses = 0;
  if (customerId !== "" && rows.length > 0) {
    const counted = await db
      .selectFrom("redemptions")
      .select(["promotion_id", (eb) => eb.fn.countAll<number>().as("uses")])
      .where("customer_id", "=", customerId)
      .where("released_at", "is", null)
      .where(
        "promotion_id",
        "in",
        rows.map((row) => row.promotion_id),
      )
      .groupBy("promotion_id")
      .execute();
    for (const row of counted) uses.set(row.promotion_id, Number(row.uses));
    if (coupon) {
      const counted = await db
        .selectFrom("redemptions")
        .select((eb) => eb.fn.countAll<number>().as("uses"))
        .where("customer_id", "=", customerId)
        .where("coupon_code", "=", coupon.code)
        .where("released_at", "is", null)
        .executeTakeFirst();
      couponUses = Number(counted?.uses ?? 0);
    }
  }
  const promotions: PromotionRule[] = rows.map((row) => promotionRule(row, uses.get(row.promotion_id) ?? 0));

  const productIds = [...new Set(query.lines.map((line) => line.productId))];
  const flashSales: FlashSalePrice[] =
    productIds.length === 0
      ? []
      : (await statements.flashSales(productIds, now)).map((row) => ({
          flashSaleId: row.flash_sale_id,
          name: row.name,
          productId: row.product_id,
          salePrice: { amount: row.sale_amount, currency: row.currency },
          maxPerCustomer: row.max_per_customer ?? undefined,
        }));

  return priceBasket({
    currency: query.currency,
    lines: query.lines,
    promotions,
    coupon: code === "" ? undefined : { code, found: coupon ? couponRule(coupon, couponUses) : undefined },
    flashSales,
    customerId,
    now,
  });
}
