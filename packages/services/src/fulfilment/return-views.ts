import type { fulfilmentApi } from "@ecom/sdk";
import type { ReturnTable } from "./store.js";

type Schemas = fulfilmentApi.components["schemas"];

/** A return as the contract shows it. */
export type Return = Schemas["Return"];
/** One line of a return. */
export type ReturnLine = Schemas["ReturnItem"];

/** Where returned parcels go (the simulator's one warehouse). */
export function returnAddress(rmaNumber: string): Return["returnAddress"] {
  return {
    name: `ecom Returns (${rmaNumber})`,
    line1: "100 Warehouse Way",
    city: "Secaucus",
    region: "NJ",
    postalCode: "07094",
    country: "US",
  };
}

/** The lines a return row holds. */
export function returnLines(row: Pick<ReturnTable, "items">): ReturnLine[] {
  return JSON.parse(row.items) as ReturnLine[];
}

/** The contract's Return for a row. */
export function toReturn(row: ReturnTable): Return {
  return {
    returnId: row.return_id,
    rmaNumber: row.rma_number,
    orderId: row.order_id,
    customerId: row.customer_id,
    status: row.status as Return["status"],
    items: returnLines(row),
    reason: row.reason as Return["reason"],
    ...(row.comment !== null ? { comment: row.comment } : {}),
    refundAmount: { amount: row.refund_amount, currency: row.currency },
    returnAddress: returnAddress(row.rma_number),
    ...(row.condition !== null ? { condition: row.condition as NonNullable<Return["condition"]> } : {}),
    ...(row.receive_note !== null ? { receiveNote: row.receive_note } : {}),
    requestedAt: row.requested_at,
    ...(row.received_at !== null ? { receivedAt: row.received_at } : {}),
    updatedAt: row.updated_at,
  };
}
