/**
 * The promotion context's own database: promotions, their coupon codes, the redemptions that count against usage
 * limits, and flash sales. Money is integer minor units; times are ISO 8601 text (always `toISOString()` form, so
 * text order is time order); lists are JSON text.
 */
export interface PromotionDatabase {
  promotions: PromotionsTable;
  coupons: CouponsTable;
  redemptions: RedemptionsTable;
  flash_sales: FlashSalesTable;
  flash_sale_items: FlashSaleItemsTable;
}

/** One promotion rule. Its status is derived from the clock, `disabled_at` and the usage count. */
export interface PromotionsTable {
  promotion_id: string;
  name: string;
  description: string | null;
  /** PERCENT or FIXED_AMOUNT. */
  discount_type: string;
  percent_off: number | null;
  amount_off: number | null;
  amount_off_currency: string | null;
  /** ORDER, PRODUCTS or CATEGORIES. */
  scope_type: string;
  /** JSON array of product or category ids; `[]` for ORDER. */
  scope_ids: string;
  minimum_amount: number | null;
  minimum_currency: string | null;
  valid_from: string;
  valid_until: string | null;
  usage_limit: number | null;
  per_customer_limit: number | null;
  requires_coupon: number;
  stackable: number;
  /** Paid orders that used it, less canceled ones. */
  usage_count: number;
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
}

/** A code that unlocks a promotion. Codes are stored upper case and unique across promotions. */
export interface CouponsTable {
  code: string;
  promotion_id: string;
  usage_limit: number | null;
  per_customer_limit: number | null;
  usage_count: number;
  valid_until: string | null;
  created_at: string;
  deactivated_at: string | null;
}

/** One promotion used by one paid order; `released_at` is set when the order is canceled. */
export interface RedemptionsTable {
  order_id: string;
  promotion_id: string;
  customer_id: string;
  coupon_code: string | null;
  discount_amount: number;
  currency: string;
  redeemed_at: string;
  released_at: string | null;
}

/** A time-boxed sale. Status is derived from the window and `canceled_at`; the flags say which events went out. */
export interface FlashSalesTable {
  flash_sale_id: string;
  name: string;
  starts_at: string;
  ends_at: string;
  created_at: string;
  canceled_at: string | null;
  /** The eventId of its flash_sale.started event, once published. */
  started_event_id: string | null;
  /** The eventId of its flash_sale.ended event, once published. */
  ended_event_id: string | null;
}

/** A product's sale price in one flash sale. */
export interface FlashSaleItemsTable {
  flash_sale_id: string;
  product_id: string;
  /** Its position in the sale's `items`. */
  position: number;
  sale_amount: number;
  currency: string;
  max_per_customer: number | null;
}
