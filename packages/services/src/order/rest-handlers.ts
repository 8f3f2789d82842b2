import type { orderApi } from "@ecom/sdk";
import type { Selectable } from "kysely";
import {
  type ContextRuntime,
  decodeQueryCursor,
  fail,
  pageOf,
  type RestHandlers,
  type RestResult,
  signedIn,
} from "../platform/index.js";
import type { CheckoutSaga } from "./checkout-saga.js";
import { isTerminal } from "./checkout-saga-rules.js";
import { cancelOrder, OrderProblem, payOrder, updateOrderStatus, visibleOrder } from "./order-commands.js";
import type { OrderStatements } from "./order-statements.js";
import { checkoutResource, orderResource, orderSummary, statusChange } from "./order-views.js";
import type { OrderDatabase, OrdersTable } from "./store.js";

type Runtime = ContextRuntime<OrderDatabase>;

/** What the REST handlers need besides the runtime. */
export interface OrderRestOptions {
  /**
   * How long `POST /orders` waits (real milliseconds) for the checkout's saga to create and pay the order before it
   * answers 202 with the checkout to poll.
   */
  readonly createOrderWaitMs: number;
}

const DEFAULT_LIMIT = 20;

/**
 * A problem+json answer with the contract's own code for it (`checkout_failed`, `invalid_transition`,
 * `card_declined`, …), which the platform's closed set of ServiceError codes does not have.
 */
function problemResult(problem: OrderProblem, instance: string, correlationId: string): RestResult {
  return {
    status: problem.status,
    headers: { "content-type": "application/problem+json" },
    body: {
      type: `https://ecom.dev/problems/${problem.code}`,
      title: problem.title,
      status: problem.status,
      code: problem.code,
      detail: problem.message,
      instance,
      correlationId,
    },
  };
}

/** Run `handle`, answering an {@link OrderProblem} as its problem+json. */
async function answering<TResult>(
  instance: string,
  correlationId: string,
  handle: () => Promise<TResult>,
): Promise<TResult> {
  try {
    return await handle();
  } catch (error) {
    if (error instanceof OrderProblem) return problemResult(error, instance, correlationId) as TResult;
    throw error;
  }
}

/** Where a page of orders ends: the last one's creation time (`c`) and id. */
const isOrderPosition = (value: Record<string, unknown>): value is { c: string; id: string } =>
  typeof value.c === "string" && typeof value.id === "string";
/** Where a page of an order's history ends: the last change's sequence number. */
const isHistoryPosition = (value: Record<string, unknown>): value is { seq: number } => Number.isInteger(value.seq);

/** The order context's REST operations (contracts/openapi/order.yaml). */
export function createRestHandlers(
  runtime: Runtime,
  saga: CheckoutSaga,
  statements: OrderStatements,
  options: OrderRestOptions,
): RestHandlers<orderApi.operations> {
  const { db } = runtime;

  /**
   * The order of checkout's saga, handed out as 201 the first time and 200 after (one order per checkout), or
   * undefined while there is none. `handedOut`: a committed write is known to have handed it out already, so it is
   * only read (a claim would change nothing).
   */
  async function claimed(orderId: string, handedOut: boolean) {
    // The claim returns the row it changed, so the first answer reads the order once (and its lines, which never
    // change, usually from memory: the saga has just written them).
    const first = handedOut
      ? undefined
      : await statements.claimOrder.executeTakeFirst(db, { orderId, claimedAt: runtime.clock.now().toISOString() });
    const order = first ?? (await statements.readOrder.executeTakeFirst(db, { orderId }));
    return order && answer(order, first !== undefined);
  }

  /** The answer with `order`: 201 when this call handed it out, 200 when an earlier one did. */
  async function answer(order: Selectable<OrdersTable>, handedOut: boolean) {
    const body = orderResource({ order, items: await statements.readItems(db, order.order_id) });
    return handedOut
      ? { status: 201 as const, body, headers: { location: `/orders/${order.order_id}` } }
      : { status: 200 as const, body };
  }

  return {
    createOrder: ({ body, principal, correlationId }) =>
      answering("/orders", correlationId, async () => {
        const who = signedIn(principal);
        const { checkoutId } = body;
        const deadline = Date.now() + options.createOrderWaitMs;
        // The saga as its run in this process has just committed it, when that is what woke the wait, or as the run
        // that drives it now last wrote it: not read again.
        let known: Awaited<ReturnType<typeof saga.waitForChange>> = saga.driven(checkoutId) ?? false;
        let handedOut = false;
        for (;;) {
          const checkout =
            typeof known === "object" ? known : await statements.readCheckout.executeTakeFirst(db, { checkoutId });
          known = false;
          const remaining = deadline - Date.now();
          if (!checkout) {
            // The cart's checked_out event may not have reached the saga yet: wait for it a little.
            if (remaining > 0) {
              known = await saga.waitForChange(checkoutId, remaining);
              if (known) continue;
            }
            throw fail.notFound(`checkout ${checkoutId}`);
          }
          if (who.role !== "admin" && checkout.customer_id !== who.customerId)
            throw fail.notFound(`checkout ${checkoutId}`);
          const terminal = isTerminal(checkout.state);
          if (!terminal && remaining > 0) {
            // Woken only when the saga ends (or stops), not at each of its steps; handed the order when the write
            // that paid it claimed it for this call.
            const woken = await saga.waitForOrder(checkoutId, remaining);
            if (woken.order) return answer(woken.order, true);
            handedOut = woken.handedOut;
            known = woken.result;
            continue;
          }
          if (checkout.state === "FAILED") {
            throw new OrderProblem(
              409,
              "checkout_failed",
              "The checkout failed",
              `Checkout ${checkoutId} failed at ${checkout.failure_step}: ${checkout.failure_code}. ${checkout.failure_message ?? ""}`.trim(),
            );
          }
          const order = await claimed(checkout.order_id, handedOut);
          if (order) return order;
          return {
            status: 202 as const,
            body: checkoutResource(checkout),
            headers: { location: `/checkouts/${checkoutId}`, "retry-after": "1" },
            // The contract: a 202 is not stored against the Idempotency-Key; the retry gets the final answer.
            replayable: false,
          };
        }
      }),

    getCheckout: async ({ path, principal }) => {
      const who = signedIn(principal);
      const checkout = await statements.readCheckout.executeTakeFirst(db, { checkoutId: path.checkoutId });
      if (!checkout || (who.role !== "admin" && checkout.customer_id !== who.customerId)) {
        throw fail.notFound(`checkout ${path.checkoutId}`);
      }
      return { status: 200, body: checkoutResource(checkout) };
    },

    getOrder: async ({ path, principal }) => ({
      status: 200,
      body: orderResource(await visibleOrder(runtime, path.orderId, signedIn(principal))),
    }),

    listOrders: async ({ query, principal }) => {
      const who = signedIn(principal);
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
          eb.or([
            eb("created_at", "<", after.c),
            eb.and([eb("created_at", "=", after.c), eb("order_id", "<", after.id)]),
          ]),
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
      return {
        status: 200,
        body: { items: page.map((row) => orderSummary(row, itemCount.get(row.order_id) ?? 1)), page: pageInfo },
      };
    },

    getOrderHistory: async ({ path, query, principal }) => {
      await visibleOrder(runtime, path.orderId, signedIn(principal));
      const limit = query.limit ?? DEFAULT_LIMIT;
      const filters = { orderId: path.orderId };
      const after = decodeQueryCursor(query.cursor, filters, isHistoryPosition);
      const rows = await db
        .selectFrom("order_status_history")
        .selectAll()
        .where("order_id", "=", path.orderId)
        .where("sequence", ">", after?.seq ?? 0)
        .orderBy("sequence")
        .limit(limit + 1)
        .execute();
      const result = pageOf(rows, { limit, filters, positionOf: (row) => ({ seq: row.sequence }) });
      return { status: 200, body: { ...result, items: result.items.map(statusChange) } };
    },

    cancelOrder: async ({ path, body, principal }) => {
      const record = await cancelOrder(runtime, saga, {
        orderId: path.orderId,
        principal: signedIn(principal),
        reason: body.reason,
        note: body.note,
      });
      return { status: 200, body: orderResource(record) };
    },

    payOrder: ({ path, body, principal, correlationId }) =>
      answering(`/orders/${path.orderId}/pay`, correlationId, async () => {
        const record = await payOrder(runtime, saga, {
          orderId: path.orderId,
          principal: signedIn(principal),
          paymentToken: body?.paymentToken,
        });
        return { status: 200 as const, body: orderResource(record) };
      }),

    updateOrderStatus: ({ path, body, principal, correlationId }) =>
      answering(`/orders/${path.orderId}/status`, correlationId, async () => {
        const record = await updateOrderStatus(runtime, {
          orderId: path.orderId,
          principal: signedIn(principal),
          status: body.status,
          carrier: body.carrier,
          trackingNumber: body.trackingNumber,
          note: body.note,
        });
        return { status: 200 as const, body: orderResource(record) };
      }),
  };
}
