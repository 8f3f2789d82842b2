import type { fulfilmentApi, MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { keptAddress } from "../platform/address-tuple.js";
import { type ContextRuntime, compileQuery, fail, type Param, ServiceError } from "../platform/index.js";
import type { CarrierPlan } from "./carrier.js";
import { planCancelShipment, planStep, returnWindowEnd, type ShipmentStep } from "./shipment-rules.js";
import { fulfilmentIdOf, keptLines, type ShipmentLine, shipmentLines } from "./shipment-views.js";
import type { FulfilmentDatabase, ShipmentTable } from "./store.js";

type Runtime = ContextRuntime<FulfilmentDatabase>;
type Trx = Transaction<FulfilmentDatabase>;
type Schemas = fulfilmentApi.components["schemas"];

/** What each step is told besides the shipment (the contract's request bodies). */
export interface StepInputs {
  readonly pick: Schemas["PickShipmentRequest"] | undefined;
  readonly pack: Schemas["PackShipmentRequest"] | undefined;
  readonly ship: Schemas["ShipShipmentRequest"];
  readonly deliver: Schemas["DeliverShipmentRequest"] | undefined;
}

const TRACKING: Readonly<Record<ShipmentStep, { code: string; description: (row: ShipmentTable) => string }>> = {
  pick: { code: "picked", description: () => "Items picked." },
  pack: {
    code: "packed",
    description: (row) =>
      `Packed in ${row.package_count ?? 1} parcel${(row.package_count ?? 1) === 1 ? "" : "s"}${row.weight_grams ? ` (${row.weight_grams} g)` : ""}.`,
  },
  ship: { code: "handed_to_carrier", description: (row) => `Collected by ${row.carrier}.` },
  deliver: {
    code: "delivered",
    description: (row) => (row.signed_by ? `Delivered; signed by ${row.signed_by}.` : "Delivered."),
  },
};

const stateConflict = (shipmentId: string, status: string, why: string) =>
  new ServiceError("conflict", `Shipment ${shipmentId} is ${status}; ${why}.`, { problem: "shipment_state_conflict" });

/**
 * The shipments' commands: opening one for a paid order, the warehouse steps (each publishing its event in the
 * transaction that records it), and canceling for a canceled order. Every event about a shipment carries its
 * order's correlation id, so an order's whole life reads as one flow.
 */
export function createShipments(runtime: Runtime, carrierPlan: CarrierPlan) {
  const { db, outbox, clock, ids } = runtime;

  const load = async (trx: Trx, shipmentId: string) => {
    const row = await trx.selectFrom("shipments").selectAll().where("shipment_id", "=", shipmentId).executeTakeFirst();
    if (!row) throw fail.notFound(`shipment ${shipmentId}`);
    return row;
  };

  // Every paid order's shipment runs these: built and compiled once (see compileQuery).
  const insertTracking = compileQuery(
    (param: Param<{ shipmentId: string; code: string; description: string; location: string | null; at: string }>) =>
      db.insertInto("tracking_events").values({
        shipment_id: param("shipmentId"),
        code: param("code"),
        description: param("description"),
        location: param("location"),
        occurred_at: param("at"),
      }),
  );
  const shipmentOfOrder = compileQuery((param: Param<{ orderId: string }>) =>
    db.selectFrom("shipments").select("shipment_id").where("order_id", "=", param("orderId")),
  );
  const insertShipment = compileQuery((param: Param<ShipmentTable>) =>
    db.insertInto("shipments").values({
      shipment_id: param("shipment_id"),
      fulfilment_id: param("fulfilment_id"),
      order_id: param("order_id"),
      customer_id: param("customer_id"),
      status: param("status"),
      items: param("items"),
      shipping_address: param("shipping_address"),
      payment_id: param("payment_id"),
      correlation_id: param("correlation_id"),
      warehouse_location: param("warehouse_location"),
      weight_grams: param("weight_grams"),
      package_count: param("package_count"),
      carrier: param("carrier"),
      tracking_number: param("tracking_number"),
      tracking_url: param("tracking_url"),
      estimated_delivery_date: param("estimated_delivery_date"),
      signed_by: param("signed_by"),
      created_at: param("created_at"),
      updated_at: param("updated_at"),
      picked_at: param("picked_at"),
      packed_at: param("packed_at"),
      shipped_at: param("shipped_at"),
      delivered_at: param("delivered_at"),
      canceled_at: param("canceled_at"),
    }),
  );

  const track = (trx: Trx, shipmentId: string, code: string, description: string, at: string, location?: string) =>
    insertTracking.execute(trx, { shipmentId, code, description, location: location ?? null, at });

  /** The row after `step` with its input, or a validation error; `now` is the step's time. */
  const applyStep = <TStep extends ShipmentStep>(
    row: ShipmentTable,
    step: TStep,
    input: StepInputs[TStep],
    now: string,
  ): ShipmentTable => {
    const base = { ...row, updated_at: now };
    switch (step) {
      case "pick": {
        const pick = input as StepInputs["pick"];
        return { ...base, status: "PICKED", picked_at: now, warehouse_location: pick?.warehouseLocation ?? null };
      }
      case "pack": {
        const pack = input as StepInputs["pack"];
        return {
          ...base,
          status: "PACKED",
          packed_at: now,
          weight_grams: pack?.weightGrams ?? null,
          package_count: pack?.packageCount ?? 1,
        };
      }
      case "ship": {
        const ship = input as StepInputs["ship"];
        return {
          ...base,
          status: "SHIPPED",
          shipped_at: now,
          carrier: ship.carrier,
          tracking_number: ship.trackingNumber,
          tracking_url: ship.trackingUrl ?? null,
          estimated_delivery_date: ship.estimatedDeliveryDate ?? null,
        };
      }
      default: {
        const deliver = input as StepInputs["deliver"];
        const deliveredAt = deliver?.deliveredAt ? new Date(deliver.deliveredAt).toISOString() : now;
        if (deliveredAt > now) throw fail.validation("/deliveredAt", "must not be in the future");
        if (row.shipped_at && deliveredAt < row.shipped_at)
          throw fail.validation("/deliveredAt", `must not be before the shipment was shipped (${row.shipped_at})`);
        return { ...base, status: "DELIVERED", delivered_at: deliveredAt, signed_by: deliver?.signedBy ?? null };
      }
    }
  };

  const publishStep = async (trx: Trx, row: ShipmentTable, step: ShipmentStep) => {
    const options = { partitionKey: row.order_id, correlationId: row.correlation_id };
    const lines = shipmentLines(row);
    if (step === "pack") {
      await outbox.publish(
        trx,
        "ecommerce.fulfilment.fulfilment.ready_for_shipping.v1",
        {
          fulfilmentId: fulfilmentIdOf(row),
          shipmentId: row.shipment_id,
          orderId: row.order_id,
          customerId: row.customer_id,
          items: lines.map(({ productId, isbn, quantity }) => ({ productId, isbn, quantity })),
          packageCount: row.package_count ?? 1,
          ...(row.weight_grams !== null ? { weightGrams: row.weight_grams } : {}),
          packedAt: row.packed_at!,
        },
        options,
      );
    } else if (step === "ship") {
      await outbox.publish(
        trx,
        "ecommerce.fulfilment.shipment.shipped.v1",
        {
          shipmentId: row.shipment_id,
          orderId: row.order_id,
          customerId: row.customer_id,
          carrier: row.carrier!,
          trackingNumber: row.tracking_number!,
          ...(row.tracking_url !== null ? { trackingUrl: row.tracking_url } : {}),
          ...(row.estimated_delivery_date !== null ? { estimatedDeliveryDate: row.estimated_delivery_date } : {}),
          shippedAt: row.shipped_at!,
        },
        options,
      );
    } else if (step === "deliver") {
      await outbox.publish(
        trx,
        "ecommerce.fulfilment.shipment.delivered.v1",
        {
          shipmentId: row.shipment_id,
          orderId: row.order_id,
          customerId: row.customer_id,
          carrier: row.carrier!,
          trackingNumber: row.tracking_number!,
          ...(row.signed_by !== null ? { signedBy: row.signed_by } : {}),
          deliveredAt: row.delivered_at!,
          returnWindowEndsAt: returnWindowEnd(row.delivered_at!),
        },
        options,
      );
    }
  };

  return {
    /** Open the shipment of a paid order (once: a redelivered order.paid finds it open). */
    async open(trx: Trx, message: MessageOf<"ecommerce.order.order.paid.v1">): Promise<void> {
      const paid = message.payload;
      const known = await shipmentOfOrder.executeTakeFirst(trx, { orderId: paid.orderId });
      if (known) return;
      const now = clock.now().toISOString();
      const lines: ShipmentLine[] = paid.items.map(({ productId, isbn, title, quantity, unitPrice }) => ({
        productId,
        isbn,
        title,
        quantity,
        unitPrice,
      }));
      // Neither the work order's id nor the opening tracking line is stored: both follow from the row
      // (shipment-views.ts), ~250 bytes and a statement fewer a checkout.
      await insertShipment.execute(trx, {
        shipment_id: ids.next("shp"),
        fulfilment_id: null,
        order_id: paid.orderId,
        customer_id: paid.customerId,
        status: "PENDING",
        items: keptLines(lines),
        shipping_address: keptAddress(paid.shippingAddress),
        payment_id: paid.paymentId,
        correlation_id: message.correlationId,
        warehouse_location: null,
        weight_grams: null,
        package_count: null,
        carrier: null,
        tracking_number: null,
        tracking_url: null,
        estimated_delivery_date: null,
        signed_by: null,
        created_at: now,
        updated_at: now,
        picked_at: null,
        packed_at: null,
        shipped_at: null,
        delivered_at: null,
        canceled_at: null,
      });
    },

    /**
     * Take a warehouse or carrier step. Repeating the step the shipment last took answers it unchanged (shipping
     * again with another tracking number is a conflict); any other out-of-order step is a conflict.
     */
    async step<TStep extends ShipmentStep>(
      shipmentId: string,
      step: TStep,
      input: StepInputs[TStep],
      extra: { readonly location?: string } = {},
    ): Promise<ShipmentTable> {
      return db.transaction().execute(async (trx) => {
        const row = await load(trx, shipmentId);
        const plan = planStep(row.status, step);
        if (plan.kind === "unchanged") {
          const ship = input as StepInputs["ship"];
          if (step === "ship" && ship.trackingNumber !== row.tracking_number)
            throw stateConflict(
              shipmentId,
              row.status,
              `it was shipped with tracking number ${row.tracking_number}, not ${ship.trackingNumber}`,
            );
          return row;
        }
        if (plan.kind === "conflict") throw stateConflict(shipmentId, row.status, plan.message);
        const now = clock.now().toISOString();
        const next = applyStep(row, step, input, now);
        await trx.updateTable("shipments").set(next).where("shipment_id", "=", shipmentId).execute();
        const at = step === "deliver" ? next.delivered_at! : step === "ship" ? next.shipped_at! : next.updated_at;
        const location = extra.location ?? (step === "pick" ? (next.warehouse_location ?? undefined) : undefined);
        await track(trx, shipmentId, TRACKING[step].code, TRACKING[step].description(next), at, location);
        if (step === "ship") await carrierPlan.schedule(trx, next);
        if (step === "deliver") await carrierPlan.finish(trx, shipmentId, now);
        await publishStep(trx, next, step);
        return next;
      });
    },

    /** Cancel the open shipment of a canceled order; one already with the carrier goes on (and is logged). */
    async cancelForOrder(trx: Trx, orderId: string, canceledAt: string): Promise<void> {
      const row = await trx.selectFrom("shipments").selectAll().where("order_id", "=", orderId).executeTakeFirst();
      if (!row) return;
      const plan = planCancelShipment(row.status);
      if (plan.kind === "unchanged") return;
      if (plan.kind === "too_late") {
        runtime.log.warn("a canceled order's shipment is already with the carrier", {
          orderId,
          shipmentId: row.shipment_id,
          status: row.status,
        });
        return;
      }
      const now = clock.now().toISOString();
      await trx
        .updateTable("shipments")
        .set({ status: "CANCELED", canceled_at: canceledAt, updated_at: now })
        .where("shipment_id", "=", row.shipment_id)
        .execute();
      await track(trx, row.shipment_id, "canceled", "The order was canceled; the shipment is stopped.", now);
    },

    /** Record a carrier scan that changes no status (in transit, out for delivery, a delivery exception). */
    track,
  };
}

/** The shipments' commands. */
export type Shipments = ReturnType<typeof createShipments>;
