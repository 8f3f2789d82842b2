import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import type { Shipments } from "./shipments.js";
import type { FulfilmentDatabase, ShipmentTable } from "./store.js";

type Runtime = ContextRuntime<FulfilmentDatabase>;
type Trx = Transaction<FulfilmentDatabase>;

/**
 * The simulated carrier, as the simulated payment processor stands in for a card network: once a parcel is shipped
 * it reports scans on the virtual clock (in transit, out for delivery) and finally delivers it, the way a real
 * carrier integration would call `POST /shipments/{id}/deliver`. With the `carrierLosesParcels` fault on, a parcel
 * whose next scan falls due is lost instead: a delivery exception is tracked and it is never delivered (an admin
 * can still record a delivery by hand).
 */

/** How long the simulated carrier takes, in virtual time. */
export interface CarrierOptions {
  /** From handing over to delivery (default 48 hours). */
  readonly transitMs: number;
}

/** The default: two days door to door. */
export const DEFAULT_CARRIER: CarrierOptions = { transitMs: 48 * 3_600_000 };

/** The scans of one parcel, as fractions of the transit time. */
const LEGS = [
  { code: "in_transit", at: 0.25, location: "Regional sorting centre", description: "Departed facility." },
  { code: "out_for_delivery", at: 0.75, location: "Local delivery depot", description: "Out for delivery." },
  { code: "delivered", at: 1, location: null, description: "Delivered." },
] as const;

/** Plans and closes the carrier's legs inside the shipment's own transactions. */
export interface CarrierPlan {
  /** Plan the scans of a parcel just shipped. */
  schedule(trx: Trx, shipment: ShipmentTable): Promise<void>;
  /** The parcel was delivered (by the carrier or by hand): nothing more will be scanned. */
  finish(trx: Trx, shipmentId: string, now: string): Promise<void>;
}

/** The carrier's plan, with its transit time. */
export function planCarrierLegs(options: CarrierOptions): CarrierPlan {
  return {
    async schedule(trx, shipment) {
      const shippedAt = Date.parse(shipment.shipped_at!);
      await trx
        .insertInto("carrier_legs")
        .values(
          LEGS.map((leg, index) => ({
            shipment_id: shipment.shipment_id,
            position: index + 1,
            code: leg.code,
            location: leg.location,
            due_at: new Date(shippedAt + Math.round(options.transitMs * leg.at)).toISOString(),
            done_at: null,
            lost: 0,
          })),
        )
        .onConflict((conflict) => conflict.doNothing())
        .execute();
    },
    async finish(trx, shipmentId, now) {
      await trx
        .updateTable("carrier_legs")
        .set({ done_at: now })
        .where("shipment_id", "=", shipmentId)
        .where("done_at", "is", null)
        .execute();
    },
  };
}

/** Drives parcels along as the clock moves. */
export function createSimulatedCarrier(runtime: Runtime, shipments: Shipments) {
  const { db, faults } = runtime;

  const lose = (shipmentId: string, at: string) =>
    db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable("carrier_legs")
        .set({ done_at: at, lost: 1 })
        .where("shipment_id", "=", shipmentId)
        .where("done_at", "is", null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return;
      await shipments.track(
        trx,
        shipmentId,
        "delivery_exception",
        "Parcel lost in transit; the carrier opened an investigation.",
        at,
      );
    });

  return {
    /** Report every scan due by `now`, oldest first; the last scan of a parcel delivers it. */
    async runDue(now: Date): Promise<void> {
      const due = await db
        .selectFrom("carrier_legs")
        .selectAll()
        .where("done_at", "is", null)
        .where("due_at", "<=", now.toISOString())
        .orderBy("due_at")
        .orderBy("shipment_id")
        .orderBy("position")
        .execute();
      for (const leg of due) {
        if (faults.carrierLosesParcels) {
          await lose(leg.shipment_id, leg.due_at);
          continue;
        }
        if (leg.code === "delivered") {
          try {
            await shipments.step(leg.shipment_id, "deliver", { deliveredAt: leg.due_at }, {});
          } catch (error) {
            // Delivered by hand meanwhile, or canceled: the carrier has nothing more to report.
            runtime.log.warn("the carrier could not deliver a parcel", {
              shipmentId: leg.shipment_id,
              error: String(error),
            });
            await db
              .transaction()
              .execute((trx) => planCarrierLegs(DEFAULT_CARRIER).finish(trx, leg.shipment_id, leg.due_at));
          }
          continue;
        }
        const description = LEGS.find((candidate) => candidate.code === leg.code)?.description ?? leg.code;
        await db.transaction().execute(async (trx) => {
          const marked = await trx
            .updateTable("carrier_legs")
            .set({ done_at: leg.due_at })
            .where("shipment_id", "=", leg.shipment_id)
            .where("position", "=", leg.position)
            .where("done_at", "is", null)
            .executeTakeFirst();
          if (Number(marked.numUpdatedRows) === 0) return;
          await shipments.track(trx, leg.shipment_id, leg.code, description, leg.due_at, leg.location ?? undefined);
        });
      }
    },
  };
}
