import { describe, expect, it } from "vitest";
import type {
  BasketInput,
  BasketLine,
  CouponRejectionReason,
  CouponRule,
  FlashSalePrice,
  PromotionRule,
} from "./discount-rules.js";
import { priceBasket } from "./price-basket.js";

const NOW = "2026-01-18T12:00:00.000Z";
const C_BOOK = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A";
const SICP = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z3A";
const ZINE = "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z4A";
const PROGRAMMING = "cat_01JH8Z3Q4R5S6T7V8W9X0Y1Z2B";
const COMPUTING = "cat_01JH8Z3Q4R5S6T7V8W9X0Y1Z3B";

const line = (productId: string, quantity: number, amount: number, categoryIds: string[] = []): BasketLine => ({
  productId,
  categoryIds,
  quantity,
  listPrice: { amount, currency: "USD" },
});

/** Two C books (9198) and a zine (1200): 10398. The C book is filed under Programming, a child of Computing. */
const BASKET = [line(C_BOOK, 2, 4599, [PROGRAMMING, COMPUTING]), line(ZINE, 1, 1200)];

let created = 0;
const promotion = (overrides: Partial<PromotionRule> = {}): PromotionRule => {
  created += 1;
  return {
    promotionId: `prm_01JH8Z3Q4R5S6T7V8W9X0Y${String(created).padStart(2, "0")}`,
    name: `promotion ${created}`,
    discount: { type: "PERCENT", percentOff: 10 },
    scope: { type: "ORDER" },
    validFrom: "2026-01-01T00:00:00.000Z",
    requiresCoupon: false,
    stackable: false,
    usageCount: 0,
    customerUsageCount: 0,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, created)).toISOString(),
    ...overrides,
  };
};

const coupon = (code: string, promotionId: string, overrides: Partial<CouponRule> = {}): CouponRule => ({
  code,
  promotionId,
  usageCount: 0,
  customerUsageCount: 0,
  ...overrides,
});

/** A basket with one coupon promotion and the coupon entered. */
function withCoupon(
  promotionOverrides: Partial<PromotionRule>,
  couponOverrides: Partial<CouponRule> = {},
  base: Partial<BasketInput> = {},
): Partial<BasketInput> {
  const rule = promotion({ requiresCoupon: true, ...promotionOverrides });
  return {
    promotions: [...(base.promotions ?? []), rule],
    coupon: { code: "CODE", found: coupon("CODE", rule.promotionId, couponOverrides) },
    ...(base.lines ? { lines: base.lines } : {}),
    ...(base.flashSales ? { flashSales: base.flashSales } : {}),
    ...(base.customerId !== undefined ? { customerId: base.customerId } : {}),
  };
}

const price = (given: Partial<BasketInput>) =>
  priceBasket({
    currency: "USD",
    lines: BASKET,
    promotions: [],
    flashSales: [],
    customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E",
    now: NOW,
    ...given,
  });

interface Want {
  readonly discountTotal: number;
  readonly total?: number;
  readonly lineDiscounts?: number[];
  readonly coupon?: { applied: boolean; rejectionReason?: CouponRejectionReason };
}

describe("priceBasket", () => {
  const sale: FlashSalePrice = {
    flashSaleId: "fls_01JH8Z3Q4R5S6T7V8W9X0Y1Z2K",
    name: "Classics hour",
    productId: C_BOOK,
    salePrice: { amount: 2999, currency: "USD" },
    maxPerCustomer: 2,
  };
  const cases: [string, { given: Partial<BasketInput>; want: Want }][] = [
    ["nothing in force takes nothing off", { given: {}, want: { discountTotal: 0, total: 10398 } }],
    [
      "a percent discount is rounded down to a whole cent",
      // 10% of 10398 = 1039.8 → 1039; spread 919.x and 119.x → 919 + 120 (remainder to the first line is 1).
      { given: { promotions: [promotion()] }, want: { discountTotal: 1039, total: 9359, lineDiscounts: [920, 119] } },
    ],
    [
      "a fixed amount is taken off",
      {
        given: {
          promotions: [promotion({ discount: { type: "FIXED_AMOUNT", amountOff: { amount: 500, currency: "USD" } } })],
        },
        want: { discountTotal: 500, total: 9898 },
      },
    ],
    [
      "a fixed amount is capped at the lines in its scope",
      {
        given: {
          promotions: [
            promotion({
              discount: { type: "FIXED_AMOUNT", amountOff: { amount: 5000, currency: "USD" } },
              scope: { type: "PRODUCTS", productIds: [ZINE] },
            }),
          ],
        },
        want: { discountTotal: 1200, lineDiscounts: [0, 1200] },
      },
    ],
    [
      "a minimum subtotal that is reached lets the promotion apply",
      {
        given: withCoupon({
          discount: { type: "FIXED_AMOUNT", amountOff: { amount: 500, currency: "USD" } },
          minimumSubtotal: { amount: 3000, currency: "USD" },
        }),
        want: { discountTotal: 500, coupon: { applied: true } },
      },
    ],
    [
      "a minimum subtotal that is not reached rejects the coupon",
      {
        given: withCoupon(
          {
            discount: { type: "FIXED_AMOUNT", amountOff: { amount: 500, currency: "USD" } },
            minimumSubtotal: { amount: 3000, currency: "USD" },
          },
          {},
          { lines: [line(ZINE, 2, 1200)] },
        ),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "MINIMUM_NOT_MET" } },
      },
    ],
    [
      "an expired promotion does not apply",
      {
        given: withCoupon({ validUntil: "2026-01-18T12:00:00.000Z" }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "EXPIRED" } },
      },
    ],
    [
      "a promotion that has not started does not apply",
      {
        given: withCoupon({ validFrom: "2026-02-01T00:00:00.000Z" }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "NOT_STARTED" } },
      },
    ],
    [
      "a coupon past its own end does not apply",
      {
        given: withCoupon({}, { validUntil: "2026-01-10T00:00:00.000Z" }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "EXPIRED" } },
      },
    ],
    [
      "a promotion at its usage limit does not apply",
      {
        given: withCoupon({ usageLimit: 3, usageCount: 3 }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "USAGE_LIMIT_REACHED" } },
      },
    ],
    [
      "a promotion under its usage limit applies",
      { given: withCoupon({ usageLimit: 3, usageCount: 2 }), want: { discountTotal: 1039, coupon: { applied: true } } },
    ],
    [
      "a coupon at its own usage limit does not apply",
      {
        given: withCoupon({}, { usageLimit: 1, usageCount: 1 }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "USAGE_LIMIT_REACHED" } },
      },
    ],
    [
      "a customer at the per-customer limit does not get it",
      {
        given: withCoupon({ perCustomerLimit: 1, customerUsageCount: 1 }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "CUSTOMER_LIMIT_REACHED" } },
      },
    ],
    [
      "a guest does not get a promotion limited per customer",
      {
        given: withCoupon({ perCustomerLimit: 1 }, {}, { customerId: "" }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "CUSTOMER_NOT_ELIGIBLE" } },
      },
    ],
    [
      "a deactivated coupon does not apply",
      {
        given: withCoupon({}, { deactivatedAt: "2026-01-10T00:00:00.000Z" }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "DEACTIVATED" } },
      },
    ],
    [
      "a disabled promotion's coupon does not apply",
      {
        given: withCoupon({ disabledAt: "2026-01-10T00:00:00.000Z" }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "DEACTIVATED" } },
      },
    ],
    [
      "an unknown code is reported and the basket still priced",
      {
        given: { promotions: [promotion()], coupon: { code: "NOPE", found: undefined } },
        want: { discountTotal: 1039, coupon: { applied: false, rejectionReason: "NOT_FOUND" } },
      },
    ],
    [
      "a coupon-only promotion does not apply without its code",
      { given: { promotions: [promotion({ requiresCoupon: true })] }, want: { discountTotal: 0 } },
    ],
    [
      "a product scope discounts only its products",
      {
        given: {
          promotions: [
            promotion({
              scope: { type: "PRODUCTS", productIds: [ZINE] },
              discount: { type: "PERCENT", percentOff: 50 },
            }),
          ],
        },
        want: { discountTotal: 600, lineDiscounts: [0, 600] },
      },
    ],
    [
      "a category scope matches a product filed under a subcategory",
      {
        given: { promotions: [promotion({ scope: { type: "CATEGORIES", categoryIds: [COMPUTING] } })] },
        want: { discountTotal: 919, lineDiscounts: [919, 0] },
      },
    ],
    [
      "a scope with nothing of it in the basket rejects the coupon",
      {
        given: withCoupon({ scope: { type: "PRODUCTS", productIds: [SICP] } }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "NO_ELIGIBLE_ITEMS" } },
      },
    ],
    [
      "a fixed amount in another currency does not apply",
      {
        given: withCoupon({ discount: { type: "FIXED_AMOUNT", amountOff: { amount: 500, currency: "EUR" } } }),
        want: { discountTotal: 0, coupon: { applied: false, rejectionReason: "CURRENCY_MISMATCH" } },
      },
    ],
    [
      "of two non-stackable promotions only the larger applies, and the smaller coupon is outdone",
      {
        given: withCoupon(
          { discount: { type: "FIXED_AMOUNT", amountOff: { amount: 500, currency: "USD" } } },
          {},
          { promotions: [promotion({ discount: { type: "PERCENT", percentOff: 20 } })] },
        ),
        want: { discountTotal: 2079, coupon: { applied: false, rejectionReason: "OUTDONE" } },
      },
    ],
    [
      "a stackable promotion applies beside the best non-stackable one, on what it left",
      {
        given: withCoupon(
          { discount: { type: "FIXED_AMOUNT", amountOff: { amount: 398, currency: "USD" } }, stackable: true },
          {},
          { promotions: [promotion({ discount: { type: "PERCENT", percentOff: 10 } })] },
        ),
        // 10% of 10398 = 1039 first (created first), then 398 of the 9359 left.
        want: { discountTotal: 1437, total: 8961, coupon: { applied: true } },
      },
    ],
    [
      "the discount never exceeds the subtotal",
      {
        given: {
          promotions: [
            promotion({ discount: { type: "PERCENT", percentOff: 100 } }),
            promotion({
              discount: { type: "FIXED_AMOUNT", amountOff: { amount: 5000, currency: "USD" } },
              stackable: true,
            }),
          ],
        },
        want: { discountTotal: 10398, total: 0, lineDiscounts: [9198, 1200] },
      },
    ],
    [
      "a flash-sale line is charged the sale price and not discounted again",
      {
        given: { flashSales: [sale], promotions: [promotion()] },
        // Subtotal 2×2999 + 1200 = 7198; 10% applies to the zine only: 120.
        want: { discountTotal: 120, total: 7078, lineDiscounts: [0, 120] },
      },
    ],
    [
      "a flash sale does not apply past its per-customer quantity",
      {
        given: { flashSales: [sale], lines: [line(C_BOOK, 3, 4599), line(ZINE, 1, 1200)] },
        want: { discountTotal: 0, total: 3 * 4599 + 1200 },
      },
    ],
    [
      "a minimum is measured at the sale prices charged",
      {
        given: withCoupon({ minimumSubtotal: { amount: 7200, currency: "USD" } }, {}, { flashSales: [sale] }),
        want: { discountTotal: 0, total: 7198, coupon: { applied: false, rejectionReason: "MINIMUM_NOT_MET" } },
      },
    ],
  ];

  it.each(cases)("%s", (_name, { given, want }) => {
    const basket = price(given);
    expect(basket.discountTotal).toBe(want.discountTotal);
    expect(basket.total).toBe(basket.subtotal - basket.discountTotal);
    expect(basket.lines.reduce((sum, line) => sum + line.discount, 0)).toBe(basket.discountTotal);
    expect(basket.appliedPromotions.reduce((sum, applied) => sum + applied.amount, 0)).toBe(basket.discountTotal);
    for (const line of basket.lines) expect(line.lineTotal).toBeGreaterThanOrEqual(0);
    if (want.total !== undefined) expect(basket.total).toBe(want.total);
    if (want.lineDiscounts) expect(basket.lines.map((line) => line.discount)).toEqual(want.lineDiscounts);
    if (want.coupon) expect(basket.coupon).toMatchObject(want.coupon);
  });

  it("breaks a tie between non-stackable promotions in favour of the earliest created", () => {
    const first = promotion({ createdAt: "2026-01-01T00:00:00.000Z" });
    const second = promotion({ createdAt: "2026-01-02T00:00:00.000Z" });
    expect(price({ promotions: [second, first] }).appliedPromotions.map((p) => p.promotionId)).toEqual([
      first.promotionId,
    ]);
  });

  it("names the coupon on the promotion it unlocked", () => {
    const basket = price(withCoupon({}));
    expect(basket.appliedPromotions).toEqual([expect.objectContaining({ couponCode: "CODE", amount: 1039 })]);
  });

  it("reports the flash-sale saving against list prices", () => {
    const basket = price({ flashSales: [sale] });
    expect(basket.listSubtotal).toBe(10398);
    expect(basket.subtotal).toBe(7198);
    expect(basket.flashSales).toEqual([{ flashSaleId: sale.flashSaleId, name: "Classics hour", amount: 3200 }]);
    expect(basket.lines[0]).toMatchObject({ unitPrice: 2999, flashSaleId: sale.flashSaleId, flashSaleSaving: 3200 });
  });
});
