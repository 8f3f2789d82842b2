import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { analyticsV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, principalOf, ServiceError } from "../platform/index.js";
import { checkSummaryReader, listCustomerOrders, listDailyRevenue } from "./analytics-queries.js";
import type { AnalyticsDatabase, ProjectedOrderStatus } from "./store.js";

const CUSTOMER_ID = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;
const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const CURRENCY = /^[A-Z]{3}$/;
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

const STATUS_OF: Readonly<Record<ProjectedOrderStatus, analyticsV1.ProjectedOrderStatus>> = {
  PENDING: analyticsV1.ProjectedOrderStatus.PENDING,
  PAID: analyticsV1.ProjectedOrderStatus.PAID,
  CANCELED: analyticsV1.ProjectedOrderStatus.CANCELED,
  SHIPPED: analyticsV1.ProjectedOrderStatus.SHIPPED,
  DELIVERED: analyticsV1.ProjectedOrderStatus.DELIVERED,
};
const STATUS_NAME = new Map(Object.entries(STATUS_OF).map(([name, value]) => [value, name as ProjectedOrderStatus]));

function invalid(message: string): ServiceError {
  return new ServiceError("validation", message);
}

function pageOf(page: { pageSize: number; pageToken: string } | undefined): { limit: number; cursor?: string } {
  const size = page?.pageSize ?? 0;
  if (size < 0 || size > MAX_PAGE_SIZE) throw invalid(`page.page_size must be 0 to ${MAX_PAGE_SIZE}, not ${size}`);
  return { limit: size === 0 ? DEFAULT_PAGE_SIZE : size, ...(page?.pageToken ? { cursor: page.pageToken } : {}) };
}

const timestamp = (value: string | undefined) => (value ? timestampFromDate(new Date(value)) : undefined);

/**
 * AnalyticsService: the analytics read models over Connect, with the rules of their REST twins (contexts.yaml
 * rpcAccess): order summaries customer-own (a customer their own, an admin anyone's), daily revenue admin only.
 */
export function registerAnalyticsService(router: ConnectRouter, runtime: ContextRuntime<AnalyticsDatabase>): void {
  const { db } = runtime;
  router.service(analyticsV1.AnalyticsService, {
    async listCustomerOrderSummaries(request, context) {
      if (!CUSTOMER_ID.test(request.customerId))
        throw invalid(
          `customer_id must be a customer id ("cus_" and a ULID), not ${JSON.stringify(request.customerId)}`,
        );
      // customer-own: the access check let a signed-in caller or another context through; a caller reads only
      // their own, unless an admin. Another context (no principal) asks for the customer it already knows.
      const reader = principalOf(context);
      if (reader) checkSummaryReader(reader, request.customerId);
      const status =
        request.status === analyticsV1.ProjectedOrderStatus.UNSPECIFIED ? undefined : STATUS_NAME.get(request.status);
      if (request.status !== analyticsV1.ProjectedOrderStatus.UNSPECIFIED && !status)
        throw invalid("status is not a ProjectedOrderStatus");
      const page = await listCustomerOrders(db, { customerId: request.customerId, status }, pageOf(request.page));
      return create(analyticsV1.ListCustomerOrderSummariesResponseSchema, {
        orders: page.items.map((order) => ({
          orderId: order.orderId,
          customerId: order.customerId,
          status: STATUS_OF[order.status],
          total: { amountMinor: BigInt(order.total.amount), currency: order.total.currency },
          itemCount: order.itemCount,
          placedAt: timestamp(order.placedAt),
          paidAt: timestamp(order.paidAt),
          canceledAt: timestamp(order.canceledAt),
          shippedAt: timestamp(order.shippedAt),
          deliveredAt: timestamp(order.deliveredAt),
          lastEventAt: timestamp(order.lastEventAt),
        })),
        page: { nextPageToken: page.page.nextCursor ?? "" },
      });
    },

    async listDailyRevenue(request) {
      for (const [field, value] of [
        ["from_date", request.fromDate],
        ["to_date", request.toDate],
      ] as const)
        if (!LOCAL_DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)))
          throw invalid(`${field} must be a date as YYYY-MM-DD, not ${JSON.stringify(value)}`);
      if (request.currency !== "" && !CURRENCY.test(request.currency))
        throw invalid("currency must be empty or an ISO 4217 code");
      const page = await listDailyRevenue(
        db,
        {
          from: request.fromDate,
          to: request.toDate,
          ...(request.currency === "" ? {} : { currency: request.currency }),
        },
        pageOf(request.page),
      );
      return create(analyticsV1.ListDailyRevenueResponseSchema, {
        days: page.items.map((day) => ({
          date: day.date,
          currency: day.currency,
          paidOrderCount: day.paidOrderCount,
          grossRevenue: { amountMinor: BigInt(day.grossRevenue.amount), currency: day.currency },
          canceledOrderCount: day.canceledOrderCount,
          refundCount: day.refundCount,
          refunded: { amountMinor: BigInt(day.refunded.amount), currency: day.currency },
          netRevenueMinor: BigInt(day.netRevenue.amount),
          updatedAt: timestamp(day.updatedAt),
        })),
        page: { nextPageToken: page.page.nextCursor ?? "" },
      });
    },
  });
}
