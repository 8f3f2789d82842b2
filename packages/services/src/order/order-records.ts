import type { Insertable, Kysely, Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { keptReason } from "./history-reasons.js";
import { FULFILMENT_SEQUENCE, type FulfilmentTarget } from "./order-status.js";
import { type OrderRecord, orderCanceledPayload } from "./order-views.js";
import {
  type CancellationSnapshot,
  correlationOf,
  type OrderDatabase,
  type OrderStatusHistoryTable,
  type ShipmentSnapshot,
} from "./store.js";

/**
 * Writes of an order that several paths share (the saga, the REST handlers, the subscriptions): each changes the
 * order with a conditional update on the status it expects, appends the status history and publishes the event in
 * the caller's transaction, so an order's rows, history and events never disagree.
 */

type Store = Kysely<OrderDatabase> | Transaction<OrderDatabase>;
type Runtime = ContextRuntime<OrderDatabase>;

/** Who changed an order. */
export interface Actor {
  readonly kind: "customer" | "admin" | "system";
  readonly customerId?: string;
}

/** An order with its items, or undefined. */
export async function loadOrderRecord(store: Store, orderId: string): Promise<OrderRecord | undefined> {
  const order = await store.selectFrom("orders").selectAll().where("order_id", "=", orderId).executeTakeFirst();
  if (!order) return undefined;
  const items = await store
    .selectFrom("order_items")
    .selectAll()
    .where("order_id", "=", orderId)
    .orderBy("position")
    .execute();
  return { order, items };
}

/** One status change of an order. */
export interface StatusChange {
  readonly from: string | null;
  readonly to: string;
  readonly at: string;
  readonly actor: Actor;
  readonly reason?: string | undefined;
  readonly causationId?: string | undefined;
  /** The change's place in the history, when the caller knows it (1 for an order it has just written). */
  readonly sequence?: number;
}

/** The history row of `change`, the `sequence`th of order `orderId`. */
export function statusChangeRow(
  orderId: string,
  sequence: number,
  change: StatusChange,
): Insertable<OrderStatusHistoryTable> {
  return {
    order_id: orderId,
    sequence,
    from_status: change.from,
    to_status: change.to,
    changed_at: change.at,
    actor_kind: change.actor.kind,
    actor_customer_id: change.actor.customerId ?? null,
    ...keptReason(change.reason?.slice(0, 500) ?? null),
    causation_id: change.causationId ?? null,
  };
}

/** Append one status change to an order's history. */
export async function recordStatusChange(
  trx: Transaction<OrderDatabase>,
  orderId: string,
  change: StatusChange,
): Promise<void> {
  const sequence =
    change.sequence ??
    ((
      await trx
        .selectFrom("order_status_history")
        .select((eb) => eb.fn.max("sequence").as("sequence"))
        .where("order_id", "=", orderId)
        .executeTakeFirst()
    )?.sequence ?? 0) + 1;
  await trx
    .insertInto("order_status_history")
    .values(statusChangeRow(orderId, sequence, change))
    .execute();
}

/**
 * Cancel an order that is in `expectedStatus`: status, cancellation, history and order.canceled. Resolves to the
 * event's id, or undefined when the order was no longer in that status (someone else changed it first).
 */
export async function cancelOrderRow(
  trx: Transaction<OrderDatabase>,
  runtime: Runtime,
  orderId: string,
  options: {
    readonly expectedStatus: "PENDING" | "PAID";
    readonly cancellation: CancellationSnapshot;
    readonly historyReason: string;
    readonly causationId?: string | undefined;
  },
): Promise<string | undefined> {
  const now = runtime.clock.now().toISOString();
  const updated = await trx
    .updateTable("orders")
    .set({
      status: "CANCELED",
      cancellation_json: JSON.stringify(options.cancellation),
      canceled_at: now,
      updated_at: now,
    })
    .where("order_id", "=", orderId)
    .where("status", "=", options.expectedStatus)
    .executeTakeFirst();
  if (updated.numUpdatedRows !== 1n) return undefined;
  const record = (await loadOrderRecord(trx, orderId))!;
  await recordStatusChange(trx, orderId, {
    from: options.expectedStatus,
    to: "CANCELED",
    at: now,
    actor: options.cancellation.canceledBy,
    reason: options.cancellation.note ?? options.historyReason,
    causationId: options.causationId?.startsWith("evt_") ? options.causationId : undefined,
  });
  return runtime.outbox.publish(
    trx,
    "ecommerce.order.order.canceled.v1",
    orderCanceledPayload(record, options.cancellation, now),
    {
      partitionKey: orderId,
      correlationId: correlationOf(record.order),
      ...(options.causationId ? { causationId: options.causationId } : {}),
    },
  );
}

/** What is known about the fulfilment step that moves an order. */
export interface FulfilmentFacts {
  readonly actor: Actor;
  readonly reason?: string | undefined;
  /** The event that caused the move (absent for an admin's). */
  readonly causationId?: string | undefined;
  /** When it happened, as the source reported it. */
  readonly at: string;
  readonly fulfilmentId?: string | undefined;
  readonly shipmentId?: string | undefined;
  readonly carrier?: string | undefined;
  readonly trackingNumber?: string | undefined;
  readonly trackingUrl?: string | undefined;
  readonly estimatedDeliveryDate?: string | undefined;
}

const TIMESTAMP_COLUMN = { FULFILLED: "fulfilled_at", SHIPPED: "shipped_at", DELIVERED: "delivered_at" } as const;

/**
 * Move an order forward along fulfilment to `target`, one status at a time (each with its history line and its
 * event), from whatever status it is in now. The caller has checked that the move is allowed. Resolves to how many
 * steps were taken (0 when someone else moved the order first).
 */
export async function advanceOrderRow(
  trx: Transaction<OrderDatabase>,
  runtime: Runtime,
  orderId: string,
  target: FulfilmentTarget,
  facts: FulfilmentFacts,
): Promise<number> {
  let moved = 0;
  for (;;) {
    const record = await loadOrderRecord(trx, orderId);
    if (!record) return moved;
    const { order } = record;
    const index = FULFILMENT_SEQUENCE.indexOf(order.status as (typeof FULFILMENT_SEQUENCE)[number]);
    if (index < 0 || index >= FULFILMENT_SEQUENCE.indexOf(target)) return moved;
    const to = FULFILMENT_SEQUENCE[index + 1] as FulfilmentTarget;
    const now = runtime.clock.now().toISOString();
    const shipment: ShipmentSnapshot = {
      ...(order.shipment_json ? (JSON.parse(order.shipment_json) as ShipmentSnapshot) : {}),
      ...(facts.shipmentId ? { shipmentId: facts.shipmentId } : {}),
      ...(facts.carrier ? { carrier: facts.carrier } : {}),
      ...(facts.trackingNumber ? { trackingNumber: facts.trackingNumber } : {}),
      ...(facts.estimatedDeliveryDate ? { estimatedDeliveryDate: facts.estimatedDeliveryDate } : {}),
    };
    const updated = await trx
      .updateTable("orders")
      .set({
        status: to,
        [TIMESTAMP_COLUMN[to]]: to === target ? facts.at : now,
        updated_at: now,
        shipment_json: Object.keys(shipment).length > 0 ? JSON.stringify(shipment) : null,
        ...(facts.fulfilmentId ? { fulfilment_id: facts.fulfilmentId } : {}),
      })
      .where("order_id", "=", orderId)
      .where("status", "=", order.status)
      .executeTakeFirst();
    if (updated.numUpdatedRows !== 1n) return moved;
    await recordStatusChange(trx, orderId, {
      from: order.status,
      to,
      at: now,
      actor: facts.actor,
      reason: facts.reason,
      causationId: facts.causationId,
    });
    const options = {
      partitionKey: orderId,
      correlationId: correlationOf(order),
      ...(facts.causationId ? { causationId: facts.causationId } : {}),
    };
    const at = to === target ? facts.at : now;
    const shipmentId = shipment.shipmentId ? { shipmentId: shipment.shipmentId } : {};
    if (to === "FULFILLED") {
      const fulfilmentId = facts.fulfilmentId ?? order.fulfilment_id;
      await runtime.outbox.publish(
        trx,
        "ecommerce.order.order.fulfilled.v1",
        {
          orderId,
          customerId: order.customer_id,
          ...(fulfilmentId ? { fulfilmentId } : {}),
          ...shipmentId,
          fulfilledAt: at,
        },
        options,
      );
    } else if (to === "SHIPPED") {
      await runtime.outbox.publish(
        trx,
        "ecommerce.order.order.shipped.v1",
        {
          orderId,
          customerId: order.customer_id,
          ...shipmentId,
          carrier: shipment.carrier ?? "unknown",
          trackingNumber: shipment.trackingNumber ?? "none",
          ...(facts.trackingUrl ? { trackingUrl: facts.trackingUrl } : {}),
          ...(shipment.estimatedDeliveryDate ? { estimatedDeliveryDate: shipment.estimatedDeliveryDate } : {}),
          shippedAt: at,
        },
        options,
      );
    } else {
      await runtime.outbox.publish(
        trx,
        "ecommerce.order.order.delivered.v1",
        {
          orderId,
          customerId: order.customer_id,
          ...shipmentId,
          items: record.items.map((item) => ({
            productId: item.product_id,
            isbn: item.isbn,
            title: item.title,
            quantity: item.quantity,
          })),
          deliveredAt: at,
        },
        options,
      );
    }
    moved++;
  }
}
