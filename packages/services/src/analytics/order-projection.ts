import type { MessageOf } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { defineProjection, greatestOf, type Param, projectionStatement } from "../platform/index.js";
import type { AnalyticsDatabase, DailyRevenueTable, OrderByCustomerTable, ProjectedOrderStatus } from "./store.js";

/** How far along an order is; a late or repeated event never moves it back (CANCELED is final). */
const PROGRESS: Readonly<Record<ProjectedOrderStatus, number>> = {
  PENDING: 0,
  PAID: 1,
  SHIPPED: 2,
  DELIVERED: 3,
  CANCELED: 4,
};

type Moment = "paid_at" | "canceled_at" | "shipped_at" | "delivered_at";

// Each order's events run these (built and compiled once per dialect, see projectionStatement).
const progressOf = projectionStatement((db: Kysely<AnalyticsDatabase>, param: Param<{ orderId: string }>) =>
  db.selectFrom("orders_by_customer").select(["status", "last_event_at"]).where("order_id", "=", param("orderId")),
);

type AdvanceValues = { orderId: string; at: string; status: ProjectedOrderStatus; lastEventAt: string };

/** The update of an order's `moment`, with its status or without (a late event does not move it back). */
const advances = new Map<string, ReturnType<typeof advanceStatement>>();
const advanceStatement = (moment: Moment, withStatus: boolean) =>
  projectionStatement((db: Kysely<AnalyticsDatabase>, param: Param<AdvanceValues>) =>
    db
      .updateTable("orders_by_customer")
      .set({
        [moment]: param("at"),
        ...(withStatus ? { status: param("status") } : {}),
        last_event_at: param("lastEventAt"),
      })
      .where("order_id", "=", param("orderId")),
  );

/** Move an order to `status`, stamping `moment`; an order the projection never saw created is left alone. */
async function advance(
  trx: Transaction<AnalyticsDatabase>,
  orderId: string,
  status: ProjectedOrderStatus,
  moment: Moment,
  at: string,
): Promise<void> {
  const row = await progressOf(trx).executeTakeFirst(trx, { orderId });
  if (!row) return;
  const withStatus = PROGRESS[status] > PROGRESS[row.status];
  const key = `${moment} ${withStatus}`;
  let statement = advances.get(key);
  if (!statement) {
    statement = advanceStatement(moment, withStatus);
    advances.set(key, statement);
  }
  await statement(trx).execute(trx, {
    orderId,
    at,
    status,
    lastEventAt: at > row.last_event_at ? at : row.last_event_at,
  });
}

/** An order's row as its created event writes it; nothing when the order has one already (the event came again). */
const insertOrder = projectionStatement(
  (db: Kysely<AnalyticsDatabase>, param: Param<Omit<OrderByCustomerTable, "status">>) =>
    db
      .insertInto("orders_by_customer")
      .values({
        order_id: param("order_id"),
        customer_id: param("customer_id"),
        status: "PENDING",
        total_amount: param("total_amount"),
        currency: param("currency"),
        item_count: param("item_count"),
        placed_at: param("placed_at"),
        paid_at: param("paid_at"),
        canceled_at: param("canceled_at"),
        shipped_at: param("shipped_at"),
        delivered_at: param("delivered_at"),
        last_event_at: param("last_event_at"),
      })
      .onConflict((conflict) => conflict.column("order_id").doNothing()),
);

/**
 * The `orders_by_customer` projection of contexts.yaml: one row per order, from its created event, moved along by
 * paid, canceled, shipped and delivered. `order.fulfilled` is not consumed (the contract's ProjectedOrderStatus
 * leaves FULFILLED out).
 */
export const ordersByCustomerProjection = defineProjection<AnalyticsDatabase>({
  name: "orders_by_customer",
  tables: ["orders_by_customer"],
  handlers: {
    "ecommerce.order.order.created.v1": async (message, trx) => {
      const { orderId, customerId, total, items, createdAt } = message.payload;
      await insertOrder(trx).execute(trx, {
        order_id: orderId,
        customer_id: customerId,
        total_amount: total.amount,
        currency: total.currency,
        item_count: items.reduce((sum, item) => sum + item.quantity, 0),
        placed_at: createdAt,
        paid_at: null,
        canceled_at: null,
        shipped_at: null,
        delivered_at: null,
        last_event_at: createdAt,
      });
    },
    "ecommerce.order.order.paid.v1": (message, trx) =>
      advance(trx, message.payload.orderId, "PAID", "paid_at", message.payload.paidAt),
    "ecommerce.order.order.canceled.v1": (message, trx) =>
      advance(trx, message.payload.orderId, "CANCELED", "canceled_at", message.payload.canceledAt),
    "ecommerce.order.order.shipped.v1": (message, trx) =>
      advance(trx, message.payload.orderId, "SHIPPED", "shipped_at", message.payload.shippedAt),
    "ecommerce.order.order.delivered.v1": (message, trx) =>
      advance(trx, message.payload.orderId, "DELIVERED", "delivered_at", message.payload.deliveredAt),
  },
});

/** What one event adds to its day. */
interface DayDelta {
  readonly paidOrders?: number;
  readonly gross?: number;
  readonly canceledOrders?: number;
  readonly refunds?: number;
  readonly refunded?: number;
}

/** Add a delta to a day's row, making it on the day's first event (built and compiled once per dialect). */
const addDelta = projectionStatement((db: Kysely<AnalyticsDatabase>, param: Param<DailyRevenueTable>) =>
  db
    .insertInto("daily_revenue")
    .values({
      date: param("date"),
      currency: param("currency"),
      paid_order_count: param("paid_order_count"),
      gross_amount: param("gross_amount"),
      canceled_order_count: param("canceled_order_count"),
      refund_count: param("refund_count"),
      refunded_amount: param("refunded_amount"),
      updated_at: param("updated_at"),
    })
    .onConflict((conflict) =>
      conflict.columns(["date", "currency"]).doUpdateSet((eb) => ({
        paid_order_count: eb("daily_revenue.paid_order_count", "+", param("paid_order_count")),
        gross_amount: eb("daily_revenue.gross_amount", "+", param("gross_amount")),
        canceled_order_count: eb("daily_revenue.canceled_order_count", "+", param("canceled_order_count")),
        refund_count: eb("daily_revenue.refund_count", "+", param("refund_count")),
        refunded_amount: eb("daily_revenue.refunded_amount", "+", param("refunded_amount")),
        updated_at: eb.fn(greatestOf(db), [eb.ref("daily_revenue.updated_at"), eb.val(param("updated_at"))]),
      })),
    ),
);

/** Add `delta` to the row of `at`'s UTC day in `currency`, making the row on the day's first event. */
async function addToDay(
  trx: Transaction<AnalyticsDatabase>,
  at: string,
  currency: string,
  delta: DayDelta,
): Promise<void> {
  await addDelta(trx).execute(trx, {
    date: at.slice(0, 10),
    currency,
    paid_order_count: delta.paidOrders ?? 0,
    gross_amount: delta.gross ?? 0,
    canceled_order_count: delta.canceledOrders ?? 0,
    refund_count: delta.refunds ?? 0,
    refunded_amount: delta.refunded ?? 0,
    updated_at: at,
  });
}

/**
 * The `daily_revenue` projection of contexts.yaml: per UTC day and currency, orders paid and their totals (on the
 * paid day), orders canceled (on the cancel day) and refunds (on the refund day, from payment.refunded only: a
 * canceled paid order's refund is also in order.canceled, and must count once).
 */
export const dailyRevenueProjection = defineProjection<AnalyticsDatabase>({
  name: "daily_revenue",
  tables: ["daily_revenue"],
  handlers: {
    "ecommerce.order.order.paid.v1": (message: MessageOf<"ecommerce.order.order.paid.v1">, trx) =>
      addToDay(trx, message.payload.paidAt, message.payload.total.currency, {
        paidOrders: 1,
        gross: message.payload.total.amount,
      }),
    "ecommerce.order.order.canceled.v1": (message, trx) =>
      addToDay(trx, message.payload.canceledAt, message.payload.total.currency, { canceledOrders: 1 }),
    "ecommerce.payment.payment.refunded.v1": (message, trx) =>
      addToDay(trx, message.payload.refundedAt, message.payload.amount.currency, {
        refunds: 1,
        refunded: message.payload.amount.amount,
      }),
  },
});
