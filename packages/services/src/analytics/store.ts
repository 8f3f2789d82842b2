/**
 * The analytics context's own store: two read models and nothing else (seed 004's projections), built only from
 * order and payment events, so `ecom replay` can drop and rebuild them. Money is integer minor units per currency;
 * timestamps are the events' own, never the clock's.
 */
export interface AnalyticsDatabase {
  orders_by_customer: OrderByCustomerTable;
  daily_revenue: DailyRevenueTable;
}

/** The contract's ProjectedOrderStatus. */
export type ProjectedOrderStatus = "PENDING" | "PAID" | "CANCELED" | "SHIPPED" | "DELIVERED";

/** One order, as its events told it. */
export interface OrderByCustomerTable {
  order_id: string;
  customer_id: string;
  status: ProjectedOrderStatus;
  total_amount: number;
  currency: string;
  item_count: number;
  placed_at: string;
  paid_at: string | null;
  canceled_at: string | null;
  shipped_at: string | null;
  delivered_at: string | null;
  last_event_at: string;
}

/** One UTC day's takings in one currency. */
export interface DailyRevenueTable {
  date: string;
  currency: string;
  paid_order_count: number;
  gross_amount: number;
  canceled_order_count: number;
  refund_count: number;
  refunded_amount: number;
  updated_at: string;
}
