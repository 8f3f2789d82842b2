import type { fulfilmentApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type Principal, ServiceError, signedIn } from "../platform/index.js";
import { planReturnLines, rmaNumber } from "./return-rules.js";
import { returnLines } from "./return-views.js";
import { returnWindowEnd } from "./shipment-rules.js";
import { shipmentLines } from "./shipment-views.js";
import type { FulfilmentDatabase, ReturnTable } from "./store.js";

type Schemas = fulfilmentApi.components["schemas"];

/**
 * Returns of delivered orders: a customer asks within the window (30 days of platform time after delivery), the
 * warehouse receives the parcel. Receiving records, in the same transaction as the RECEIVED status and its event,
 * the restock and refund still to be done, so the return processor finishes them exactly once even after a crash.
 */
export function createReturns(runtime: ContextRuntime<FulfilmentDatabase>, onReceived: () => void) {
  const { db, clock, ids, outbox } = runtime;

  return {
    /** A return the caller may see: an admin any, a customer only their own (others are not found). */
    async visible(returnId: string, principal: Principal | undefined): Promise<ReturnTable> {
      const caller = signedIn(principal);
      const row = await db.selectFrom("returns").selectAll().where("return_id", "=", returnId).executeTakeFirst();
      if (!row || (caller.role !== "admin" && row.customer_id !== caller.customerId))
        throw fail.notFound(`return ${returnId}`);
      return row;
    },

    /** Authorize a return of a delivered order's items. */
    async request(body: Schemas["RequestReturnRequest"], principal: Principal | undefined): Promise<ReturnTable> {
      const caller = signedIn(principal);
      return db.transaction().execute(async (trx) => {
        const shipment = await trx
          .selectFrom("shipments")
          .selectAll()
          .where("order_id", "=", body.orderId)
          .executeTakeFirst();
        if (!shipment || (caller.role !== "admin" && shipment.customer_id !== caller.customerId))
          throw fail.notFound(`order ${body.orderId}`);
        if (shipment.status !== "DELIVERED" || shipment.delivered_at === null)
          throw new ServiceError(
            "conflict",
            `Order ${body.orderId} is not delivered yet (its shipment is ${shipment.status}); a return can be requested once it is.`,
            { problem: "order_not_delivered" },
          );
        const closes = returnWindowEnd(shipment.delivered_at);
        const now = clock.now().toISOString();
        if (now > closes)
          throw new ServiceError(
            "conflict",
            `Order ${body.orderId} was delivered on ${shipment.delivered_at.slice(0, 10)}; returns closed on ${closes.slice(0, 10)}.`,
            { problem: "return_window_closed" },
          );
        const earlier = await trx.selectFrom("returns").select("items").where("order_id", "=", body.orderId).execute();
        const returned = new Map<string, number>();
        for (const row of earlier)
          for (const line of returnLines(row))
            returned.set(line.productId, (returned.get(line.productId) ?? 0) + line.quantity);
        const plan = planReturnLines(body.orderId, shipmentLines(shipment), returned, body.items);
        if (plan.kind === "exceeds")
          throw new ServiceError("unprocessable", plan.detail, {
            problem: "return_exceeds_order",
            errors: [{ pointer: plan.pointer, message: plan.message }],
          });
        let rma = rmaNumber(runtime.random);
        while (await trx.selectFrom("returns").select("return_id").where("rma_number", "=", rma).executeTakeFirst())
          rma = rmaNumber(runtime.random);
        const row: ReturnTable = {
          return_id: ids.next("ret"),
          rma_number: rma,
          order_id: body.orderId,
          shipment_id: shipment.shipment_id,
          customer_id: shipment.customer_id,
          status: "REQUESTED",
          items: JSON.stringify(plan.lines),
          reason: body.reason,
          comment: body.comment ?? null,
          refund_amount: plan.refundAmount,
          currency: plan.lines[0]!.unitPrice.currency,
          condition: null,
          receive_note: null,
          correlation_id: shipment.correlation_id,
          requested_at: now,
          received_at: null,
          updated_at: now,
          restock_state: null,
          refund_state: null,
          refund_id: null,
          refund_attempts: 0,
          refund_error: null,
        };
        await trx.insertInto("returns").values(row).execute();
        return row;
      });
    },

    /** Record the parcel's arrival (REQUESTED → RECEIVED); receiving a RECEIVED return answers it unchanged. */
    async receive(returnId: string, body: Schemas["ReceiveReturnRequest"]): Promise<ReturnTable> {
      const received = await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom("returns").selectAll().where("return_id", "=", returnId).executeTakeFirst();
        if (!row) throw fail.notFound(`return ${returnId}`);
        if (row.status === "RECEIVED") return row;
        const now = clock.now().toISOString();
        const next: ReturnTable = {
          ...row,
          status: "RECEIVED",
          condition: body.condition,
          receive_note: body.note ?? null,
          received_at: now,
          updated_at: now,
          // The work still to do is persisted before anything is asked of inventory or payment.
          restock_state: body.condition === "SELLABLE" ? "PENDING" : "SKIPPED",
          refund_state: body.condition === "MISSING_ITEMS" ? "HELD" : "PENDING",
        };
        await trx.updateTable("returns").set(next).where("return_id", "=", returnId).execute();
        await outbox.publish(
          trx,
          "ecommerce.fulfilment.return.received.v1",
          {
            returnId,
            rmaNumber: row.rma_number,
            orderId: row.order_id,
            customerId: row.customer_id,
            items: returnLines(row).map(({ productId, isbn, quantity, unitPrice }) => ({
              productId,
              isbn,
              quantity,
              unitPrice,
            })),
            reason: row.reason as Schemas["ReturnReason"],
            condition: body.condition,
            refundAmount: { amount: row.refund_amount, currency: row.currency },
            receivedAt: now,
          },
          { partitionKey: row.order_id, correlationId: row.correlation_id },
        );
        return next;
      });
      onReceived();
      return received;
    },
  };
}

/** The returns' commands. */
export type Returns = ReturnType<typeof createReturns>;
