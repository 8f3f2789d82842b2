import type { MessageOf } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, ServiceError } from "../platform/index.js";
import type { CarrierPlan } from "./carrier.js";
import { openShipment, type ShipmentOpening } from "./shipment-opening.js";
import { planCancelShipment, planStep, type ShipmentStep } from "./shipment-rules.js";
import { createShipmentStatements, shipmentRow } from "./shipment-statements.js";
import { publishStepEvent } from "./shipment-step-events.js";
import { SHIPMENT_STEPS, type StepEffect, type StepInputs } from "./shipment-steps.js";
import type { FulfilmentDatabase, ShipmentTable } from "./store.js";

type Runtime = ContextRuntime<FulfilmentDatabase>;
type Trx = Transaction<FulfilmentDatabase>;

const stateConflict = (shipmentId: string, status: string, why: string) =>
  new ServiceError("conflict", `Shipment ${shipmentId} is ${status}; ${why}.`, { problem: "shipment_state_conflict" });

/**
 * The shipments' commands: opening one for a paid order, the warehouse steps (each publishing its event in the
 * transaction that records it), and canceling for a canceled order. Every event about a shipment carries its
 * order's correlation id, so an order's whole life reads as one flow.
 */
export function createShipments(runtime: Runtime, carrierPlan: CarrierPlan) {
  const { db, outbox, clock, ids } = runtime;
  const statements = createShipmentStatements(db);
  const opening: ShipmentOpening = { statements, clock, ids };

  const track = (trx: Trx, shipmentId: string, code: string, description: string, at: string, location?: string) =>
    statements.insertTracking.execute(trx, { shipmentId, code, description, location: location ?? null, at });

  return {
    /** Open the shipment of a paid order (once: a redelivered order.paid finds it open). */
    open: (trx: Trx, message: MessageOf<"ecommerce.order.order.paid.v1">): Promise<void> =>
      openShipment(opening, trx, message),

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
      const effect: StepEffect<TStep> = SHIPMENT_STEPS[step];
      return db.transaction().execute(async (trx) => {
        const row = await shipmentRow(trx, shipmentId);
        const plan = planStep(row.status, step);
        if (plan.kind === "unchanged") {
          const conflict = effect.repeatConflict(row, input);
          if (conflict !== undefined) throw stateConflict(shipmentId, row.status, conflict);
          return row;
        }
        if (plan.kind === "conflict") throw stateConflict(shipmentId, row.status, plan.message);
        const now = clock.now().toISOString();
        const next = effect.next(row, input, now);
        await trx.updateTable("shipments").set(next).where("shipment_id", "=", shipmentId).execute();
        const location = extra.location ?? effect.location(next);
        await track(trx, shipmentId, effect.code, effect.description(next), effect.at(next), location);
        if (step === "ship") await carrierPlan.schedule(trx, next);
        if (step === "deliver") await carrierPlan.finish(trx, shipmentId, now);
        await publishStepEvent(outbox, trx, next, step);
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
