import type { Insertable, Kysely, Selectable } from "kysely";
import { type CompiledQueryRunner, type CompiledStatement, compileQuery, type Param } from "../platform/index.js";
import {
  type CheckoutsTable,
  CLAIMED_WHEN_PAID,
  type OrderDatabase,
  type OrderItemsTable,
  type OrderStatusHistoryTable,
  type OrdersTable,
  UPDATED_WITH_STATUS,
} from "./store.js";

/**
 * The order store's statements that run at every checkout (the saga's reads and versioned writes, the order it
 * writes, `POST /orders`), each built and compiled once when the context is made and then run with each call's values
 * (`compileQuery`): Kysely's building and compiling of a small statement cost more CPU than SQLite's running of it.
 * The rest of the store's queries (admin moves, lists, compensations) are rare enough for the query builder.
 */

type Checkout = Selectable<CheckoutsTable>;
type Order = Selectable<OrdersTable>;
type OrderItem = Selectable<OrderItemsTable>;

/** A versioned change of a saga's row: the columns it sets, the row it names and the version it read. */
export type CheckoutClaim = Partial<Checkout> & { readonly $checkoutId: string; readonly $version: number };

/** What the store's hot paths run. */
export interface OrderStatements {
  /** A saga's row. */
  readonly readCheckout: CompiledStatement<{ checkoutId: string }, Checkout>;
  /** Insert a new saga's row; no change (0) when the checkout already has one (an event delivered again). */
  readonly insertCheckout: CompiledStatement<Insertable<CheckoutsTable>, never>;
  /**
   * Set `claim`'s columns of the saga's row when it is still at `$version`: its `reservation_expired_at` (which a
   * subscription sets outside the saga), or undefined when the version moved. One statement per set of columns.
   */
  claimCheckout(
    runner: CompiledQueryRunner,
    claim: CheckoutClaim,
  ): Promise<Pick<Checkout, "reservation_expired_at"> | undefined>;
  readonly insertOrder: CompiledStatement<Insertable<OrdersTable>, never>;
  /** Insert an order's lines, in one statement. */
  insertItems(runner: CompiledQueryRunner, items: readonly OrderItem[]): Promise<void>;
  readonly insertHistory: CompiledStatement<Insertable<OrderStatusHistoryTable>, never>;
  /** Mark a PENDING order PAID (1 changed), or nothing when it was not PENDING. */
  readonly payOrder: CompiledStatement<{ orderId: string; paidAt: string }, never>;
  /** {@link payOrder} that also hands the order out (`claimOrder`), when nobody has; nothing when either is not so. */
  readonly payAndClaimOrder: CompiledStatement<{ orderId: string; paidAt: string }, never>;
  /** Hand an order out for the first time (`POST /orders`); the order, none when it was handed out before. */
  readonly claimOrder: CompiledStatement<{ orderId: string; claimedAt: string }, Order>;
  readonly readOrder: CompiledStatement<{ orderId: string }, Order>;
  /**
   * An order's lines in their order: never changed once written, so the newest orders' are kept in memory (put there
   * by {@link rememberItems} once the transaction that wrote them committed, or by a read).
   */
  readItems(runner: CompiledQueryRunner, orderId: string): Promise<readonly OrderItem[]>;
  /**
   * Keep the lines of an order just written, and the order as written when given (call it after the commit: a
   * rolled-back order has no lines).
   */
  rememberItems(orderId: string, items: readonly OrderItem[], order?: Order): void;
  /**
   * The order `orderId` as this process inserted it, while remembered: the saga's write that pays it knows the rest of
   * the row without reading it back (what it changes, it knows too).
   */
  insertedOrder(orderId: string): Order | undefined;
}

/** Orders whose lines are kept in memory at most (the newest; a checkout reads them twice within seconds). */
const REMEMBERED_ORDERS = 1_024;

const CHECKOUT_COLUMNS = [
  "checkout_id",
  "cart_id",
  "customer_id",
  "order_id",
  "correlation_id",
  "cause_event_id",
  "last_event_id",
  "currency",
  "items_json",
  "subtotal",
  "shipping_address_id",
  "billing_address_id",
  "coupon_code",
  "payment_token",
  "state",
  "version",
  "step_statuses",
  "steps_json",
  "reservation_id",
  "reservation_expires_at",
  "reservation_expired_at",
  "pricing_json",
  "total",
  "payment_id",
  "failure_code",
  "failure_message",
  "failure_step",
  "compensations_json",
  "stock_commit",
  "redrive_at",
  "started_at",
  "updated_at",
  "finished_at",
] as const satisfies readonly (keyof CheckoutsTable)[];

const ORDER_COLUMNS = [
  "order_id",
  "checkout_id",
  "customer_id",
  "status",
  "currency",
  "subtotal",
  "discount",
  "shipping",
  "tax",
  "total",
  "coupon_code",
  "applied_promotions_json",
  "shipping_address_json",
  "billing_address_json",
  "payment_id",
  "reservation_id",
  "shipment_json",
  "fulfilment_id",
  "cancellation_json",
  "correlation_id",
  "created_event_id",
  "claimed_at",
  "created_at",
  "updated_at",
  "paid_at",
  "fulfilled_at",
  "shipped_at",
  "delivered_at",
  "canceled_at",
] as const satisfies readonly (keyof OrdersTable)[];

const ITEM_COLUMNS = [
  "order_id",
  "position",
  "product_id",
  "isbn",
  "title",
  "quantity",
  "unit_price",
  "line_total",
] as const satisfies readonly (keyof OrderItemsTable)[];

const HISTORY_COLUMNS = [
  "order_id",
  "sequence",
  "from_status",
  "to_status",
  "changed_at",
  "actor_kind",
  "actor_customer_id",
  "reason",
  "reason_code",
  "causation_id",
] as const satisfies readonly (keyof OrderStatusHistoryTable)[];

/** `columns` each bound to the call's value of the same name (`prefix` + column), as an insert's or update's values. */
function bound<TRow>(param: (name: string) => unknown, columns: readonly string[], prefix = ""): TRow {
  return Object.fromEntries(columns.map((column) => [column, param(`${prefix}${column}`)])) as TRow;
}

/** The statements of the order store behind `db` (its dialect's SQL). */
export function createOrderStatements(db: Kysely<OrderDatabase>): OrderStatements {
  const claims = new Map<
    string,
    CompiledStatement<Record<string, unknown>, Pick<Checkout, "reservation_expired_at">>
  >();
  /** The same statements by the columns in the order a call wrote them (each set of columns has a few orders). */
  const claimsAsWritten = new Map<
    string,
    CompiledStatement<Record<string, unknown>, Pick<Checkout, "reservation_expired_at">>
  >();
  const itemInserts = new Map<number, CompiledStatement<Record<string, unknown>, never>>();
  const items = new Map<string, { readonly lines: readonly OrderItem[]; readonly order?: Order | undefined }>();
  const readItems = compileQuery((param: Param<{ orderId: string }>) =>
    db.selectFrom("order_items").selectAll().where("order_id", "=", param("orderId")).orderBy("position"),
  );
  const rememberItems = (orderId: string, lines: readonly OrderItem[], order?: Order) => {
    if (items.size >= REMEMBERED_ORDERS && !items.has(orderId)) {
      const oldest = items.keys().next();
      if (!oldest.done) items.delete(oldest.value);
    }
    items.set(orderId, { lines, order });
  };

  return {
    readCheckout: compileQuery((param: Param<{ checkoutId: string }>) =>
      db.selectFrom("checkouts").selectAll().where("checkout_id", "=", param("checkoutId")),
    ),
    insertCheckout: compileQuery((param: Param<Insertable<CheckoutsTable>>) =>
      db
        .insertInto("checkouts")
        .values(bound(param as (name: string) => unknown, CHECKOUT_COLUMNS))
        .onConflict((conflict) => conflict.column("checkout_id").doNothing()),
    ) as CompiledStatement<Insertable<CheckoutsTable>, never>,

    async claimCheckout(runner, claim) {
      // The columns in the order the call wrote them: a call site writes the same order each time, so that order finds
      // its statement without sorting; a new order is sorted once, to share the statement of its set of columns.
      let written = "";
      for (const column in claim)
        if (column[0] !== "$" && claim[column as keyof Checkout] !== undefined) written += `${column},`;
      let statement = claimsAsWritten.get(written);
      if (!statement) {
        const columns = written.slice(0, -1).split(",").sort();
        const shape = columns.join(",");
        statement = claims.get(shape);
        if (!statement) {
          statement = compileQuery((param: Param<Record<string, unknown>>) =>
            db
              .updateTable("checkouts")
              .set(bound(param, columns))
              .where("checkout_id", "=", param("$checkoutId") as string)
              .where("version", "=", param("$version") as number)
              .returning("reservation_expired_at"),
          );
          claims.set(shape, statement);
        }
        if (claimsAsWritten.size < 256) claimsAsWritten.set(written, statement);
      }
      return statement.executeTakeFirst(runner, claim);
    },

    insertOrder: compileQuery((param: Param<Insertable<OrdersTable>>) =>
      db.insertInto("orders").values(bound(param as (name: string) => unknown, ORDER_COLUMNS)),
    ) as CompiledStatement<Insertable<OrdersTable>, never>,

    async insertItems(runner, lines) {
      let statement = itemInserts.get(lines.length);
      if (!statement) {
        statement = compileQuery((param: Param<Record<string, unknown>>) =>
          db
            .insertInto("order_items")
            .values(lines.map((_, index) => bound<OrderItem>(param, ITEM_COLUMNS, `${index}.`))),
        ) as CompiledStatement<Record<string, unknown>, never>;
        // One statement per line count; a cart has a handful of lines, so a handful of statements.
        if (itemInserts.size < 32) itemInserts.set(lines.length, statement);
      }
      const values: Record<string, unknown> = {};
      lines.forEach((line, index) => {
        for (const column of ITEM_COLUMNS) values[`${index}.${column}`] = line[column];
      });
      await statement.execute(runner, values);
    },

    insertHistory: compileQuery((param: Param<Insertable<OrderStatusHistoryTable>>) =>
      db.insertInto("order_status_history").values(bound(param as (name: string) => unknown, HISTORY_COLUMNS)),
    ) as CompiledStatement<Insertable<OrderStatusHistoryTable>, never>,

    payOrder: compileQuery((param: Param<{ orderId: string; paidAt: string }>) =>
      db
        .updateTable("orders")
        .set({ status: "PAID", paid_at: param("paidAt"), updated_at: UPDATED_WITH_STATUS })
        .where("order_id", "=", param("orderId"))
        .where("status", "=", "PENDING"),
    ) as CompiledStatement<{ orderId: string; paidAt: string }, never>,
    payAndClaimOrder: compileQuery((param: Param<{ orderId: string; paidAt: string }>) =>
      db
        .updateTable("orders")
        .set({
          status: "PAID",
          paid_at: param("paidAt"),
          updated_at: UPDATED_WITH_STATUS,
          claimed_at: CLAIMED_WHEN_PAID,
        })
        .where("order_id", "=", param("orderId"))
        .where("status", "=", "PENDING")
        .where("claimed_at", "is", null),
    ) as CompiledStatement<{ orderId: string; paidAt: string }, never>,
    claimOrder: compileQuery((param: Param<{ orderId: string; claimedAt: string }>) =>
      db
        .updateTable("orders")
        .set({ claimed_at: param("claimedAt") })
        .where("order_id", "=", param("orderId"))
        .where("claimed_at", "is", null)
        .returningAll(),
    ),
    readOrder: compileQuery((param: Param<{ orderId: string }>) =>
      db.selectFrom("orders").selectAll().where("order_id", "=", param("orderId")),
    ),

    async readItems(runner, orderId) {
      const kept = items.get(orderId);
      if (kept) return kept.lines;
      const read = await readItems.execute(runner, { orderId });
      if (read.length > 0) rememberItems(orderId, read);
      return read;
    },
    rememberItems,
    insertedOrder: (orderId) => items.get(orderId)?.order,
  };
}
