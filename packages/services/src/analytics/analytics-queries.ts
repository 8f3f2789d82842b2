import type { analyticsApi } from "@ecom/sdk";
import type { Kysely } from "kysely";
import { decodeQueryCursor, fail, type Principal, pageOf, ServiceError } from "../platform/index.js";
import type { AnalyticsDatabase, DailyRevenueTable, OrderByCustomerTable, ProjectedOrderStatus } from "./store.js";

type CustomerOrderPage = analyticsApi.components["schemas"]["CustomerOrderPage"];
type DailyRevenuePage = analyticsApi.components["schemas"]["DailyRevenuePage"];

/** The most days one revenue request may span. */
const MAX_DAYS = 366;
const DAY_MS = 86_400_000;

interface PageRequest {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

type OrderPosition = { readonly at: string; readonly id: string };
const isOrderPosition = (value: Record<string, unknown>): value is OrderPosition =>
  typeof value.at === "string" && typeof value.id === "string";

/**
 * Whether `reader` may read `customerId`'s order summaries (a customer their own, an admin anyone's); throws
 * `forbidden` otherwise. REST and RPC ask the same question, so the two surfaces answer alike.
 */
export function checkSummaryReader(reader: Principal, customerId: string): void {
  if (reader.role !== "admin" && reader.customerId !== customerId)
    throw new ServiceError("forbidden", "A customer may read only their own order summaries.");
}

/** A customer's orders from the projection, newest first. */
export async function listCustomerOrders(
  db: Kysely<AnalyticsDatabase>,
  request: { readonly customerId: string; readonly status?: ProjectedOrderStatus | undefined },
  page: PageRequest,
): Promise<CustomerOrderPage> {
  const filters = { customerId: request.customerId, status: request.status };
  const position = decodeQueryCursor(page.cursor, filters, isOrderPosition);
  let query = db.selectFrom("orders_by_customer").selectAll().where("customer_id", "=", request.customerId);
  if (request.status) query = query.where("status", "=", request.status);
  if (position)
    query = query.where((eb) =>
      eb.or([
        eb("placed_at", "<", position.at),
        eb.and([eb("placed_at", "=", position.at), eb("order_id", "<", position.id)]),
      ]),
    );
  const rows = await query
    .orderBy("placed_at", "desc")
    .orderBy("order_id", "desc")
    .limit(page.limit + 1)
    .execute();
  const result = pageOf(rows, {
    limit: page.limit,
    filters,
    positionOf: (row) => ({ at: row.placed_at, id: row.order_id }),
  });
  return { items: result.items.map(orderSummary), page: result.page };
}

function orderSummary(row: OrderByCustomerTable): CustomerOrderPage["items"][number] {
  const moments = {
    paidAt: row.paid_at,
    canceledAt: row.canceled_at,
    shippedAt: row.shipped_at,
    deliveredAt: row.delivered_at,
  };
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status,
    total: { amount: row.total_amount, currency: row.currency },
    itemCount: row.item_count,
    placedAt: row.placed_at,
    ...Object.fromEntries(Object.entries(moments).filter(([, value]) => value !== null)),
    lastEventAt: row.last_event_at,
  };
}

type DayPosition = { readonly date: string; readonly currency: string };
const isDayPosition = (value: Record<string, unknown>): value is DayPosition =>
  typeof value.date === "string" && typeof value.currency === "string";

/** Daily revenue rows in [from, to], oldest first (then by currency). */
export async function listDailyRevenue(
  db: Kysely<AnalyticsDatabase>,
  request: { readonly from: string; readonly to: string; readonly currency?: string | undefined },
  page: PageRequest,
): Promise<DailyRevenuePage> {
  const days = (Date.parse(`${request.to}T00:00:00Z`) - Date.parse(`${request.from}T00:00:00Z`)) / DAY_MS + 1;
  if (!Number.isFinite(days)) throw fail.validation("/query/from", "is not a calendar date (YYYY-MM-DD)");
  if (days < 1) throw fail.validation("/query/to", "is before `from`; ask for to >= from");
  if (days > MAX_DAYS)
    throw fail.validation("/query/to", `spans ${days} days; ask for at most ${MAX_DAYS} days per request`);
  const filters = { from: request.from, to: request.to, currency: request.currency };
  const position = decodeQueryCursor(page.cursor, filters, isDayPosition);
  let query = db
    .selectFrom("daily_revenue")
    .selectAll()
    .where("date", ">=", request.from)
    .where("date", "<=", request.to);
  if (request.currency) query = query.where("currency", "=", request.currency);
  if (position)
    query = query.where((eb) =>
      eb.or([
        eb("date", ">", position.date),
        eb.and([eb("date", "=", position.date), eb("currency", ">", position.currency)]),
      ]),
    );
  const rows = await query
    .orderBy("date")
    .orderBy("currency")
    .limit(page.limit + 1)
    .execute();
  const result = pageOf(rows, {
    limit: page.limit,
    filters,
    positionOf: (row) => ({ date: row.date, currency: row.currency }),
  });
  return { items: result.items.map(dailyRevenue), page: result.page };
}

function dailyRevenue(row: DailyRevenueTable): DailyRevenuePage["items"][number] {
  const money = (amount: number) => ({ amount, currency: row.currency });
  return {
    date: row.date,
    currency: row.currency,
    paidOrderCount: row.paid_order_count,
    grossRevenue: money(row.gross_amount),
    canceledOrderCount: row.canceled_order_count,
    refundCount: row.refund_count,
    refunded: money(row.refunded_amount),
    netRevenue: money(row.gross_amount - row.refunded_amount),
    updatedAt: row.updated_at,
  };
}
