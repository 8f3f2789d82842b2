import type { orderApi } from "@ecom/sdk";
import type { Kysely } from "kysely";
import { decodeQueryCursor, fail, type Principal, pageOf } from "../platform/index.js";
import { orderSummary, statusChange } from "./order-views.js";
import type { OrderDatabase } from "./store.js";

type Operations = orderApi.operations;

const DEFAULT_LIMIT = 20;

/** Where a page of orders ends: the last one's creation time (`c`) and id. */
const isOrderPosition = (value: Record<string, unknown>): value is { c: string; id: string } =>
  typeof value.c === "string" && typeof value.id === "string";
/** Where a page of an order's history ends: the last change's sequence number. */
const isHistoryPosition = (value: Record<string, unknown>): value is { seq: number } => Number.isInteger(value.seq);

/**
 * A page of the orders `who` may list, newest first, each with its count of copies: a customer's own (403 when
 * they name another customer), anyone's for an admin.
 */
export async function readOrderList(
  db: Kysely<OrderDatabase>,
  who: Principal,
  query: NonNullable<Operations["listOrders"]["parameters"]["query"]>,
) {
  if (who.role !== "admin" && query.customerId !== undefined && query.customerId !== who.customerId) {
    throw fail.forbidden("A customer may list only their own orders; leave customerId out or pass your own.");
  }
  const customerId = who.role === "admin" ? query.customerId : who.customerId;
  const statuses = query.status === undefined ? [] : ([] as string[]).concat(query.status);
  const limit = query.limit ?? DEFAULT_LIMIT;
  // Sorted, so `status=PAID&status=SHIPPED` and its reverse (the same list) take each other's cursors.
  const filters = { customerId, statuses: [...statuses].sort() };
  const after = decodeQueryCursor(query.cursor, filters, isOrderPosition);
  let select = db.selectFrom("orders").selectAll();
  if (customerId !== undefined) select = select.where("customer_id", "=", customerId);
  if (statuses.length > 0) select = select.where("status", "in", statuses);
  if (after) {
    select = select.where((eb) =>
      eb.or([eb("created_at", "<", after.c), eb.and([eb("created_at", "=", after.c), eb("order_id", "<", after.id)])]),
    );
  }
  const rows = await select
    .orderBy("created_at", "desc")
    .orderBy("order_id", "desc")
    .limit(limit + 1)
    .execute();
  const { items: page, page: pageInfo } = pageOf(rows, {
    limit,
    filters,
    positionOf: (row) => ({ c: row.created_at, id: row.order_id }),
  });
  const counts =
    page.length === 0
      ? []
      : await db
          .selectFrom("order_items")
          .select(["order_id", (eb) => eb.fn.sum<number>("quantity").as("count")])
          .where(
            "order_id",
            "in",
            page.map((row) => row.order_id),
          )
          .groupBy("order_id")
          .execute();
  const itemCount = new Map(counts.map((row) => [row.order_id, Number(row.count)]));
  return { items: page.map((row) => orderSummary(row, itemCount.get(row.order_id) ?? 1)), page: pageInfo };
}

/** A page of an order's status changes, oldest first (the caller has checked it may see the order). */
export async function readOrderHistory(
  db: Kysely<OrderDatabase>,
  orderId: string,
  query: NonNullable<Operations["getOrderHistory"]["parameters"]["query"]>,
) {
  const limit = query.limit ?? DEFAULT_LIMIT;
  const filters = { orderId };
  const after = decodeQueryCursor(query.cursor, filters, isHistoryPosition);
  const rows = await db
    .selectFrom("order_status_history")
    .selectAll()
    .where("order_id", "=", orderId)
    .where("sequence", ">", after?.seq ?? 0)
    .orderBy("sequence")
    .limit(limit + 1)
    .execute();
  const result = pageOf(rows, { limit, filters, positionOf: (row) => ({ seq: row.sequence }) });
  return { ...result, items: result.items.map(statusChange) };
}
