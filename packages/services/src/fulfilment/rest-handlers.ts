import type { fulfilmentApi } from "@ecom/sdk";
import {
  type ContextRuntime,
  decodeQueryCursor,
  fail,
  type Principal,
  pageOf,
  type RestHandlers,
  requireAdmin,
  signedIn,
} from "../platform/index.js";
import { toReturn } from "./return-views.js";
import type { Returns } from "./returns.js";
import { toShipment, toTracking } from "./shipment-views.js";
import type { Shipments } from "./shipments.js";
import type { FulfilmentDatabase, ShipmentTable } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;

const isShipmentPosition = (value: Record<string, unknown>): value is { id: string } =>
  typeof value.id === "string" && /^shp_[0-9A-HJKMNP-TV-Z]{26}$/.test(value.id);

/** The fulfilment context's REST operations, per contracts/openapi/fulfilment.yaml. */
export function createRestHandlers(
  runtime: ContextRuntime<FulfilmentDatabase>,
  shipments: Shipments,
  returns: Returns,
): RestHandlers<fulfilmentApi.operations> {
  const { db } = runtime;

  /** A shipment the caller may see: an admin any, a customer those of their own orders (others are not found). */
  const visibleShipment = async (shipmentId: string, principal: Principal | undefined): Promise<ShipmentTable> => {
    const caller = signedIn(principal);
    const row = await db.selectFrom("shipments").selectAll().where("shipment_id", "=", shipmentId).executeTakeFirst();
    if (!row || (caller.role !== "admin" && row.customer_id !== caller.customerId))
      throw fail.notFound(`shipment ${shipmentId}`);
    return row;
  };

  return {
    listShipments: async ({ query, principal }) => {
      requireAdmin(principal, "Listing shipments");
      const limit = query.limit ?? DEFAULT_PAGE_SIZE;
      const statuses = query.status ? [...query.status].sort() : undefined;
      const filters = { orderId: query.orderId, status: statuses };
      let select = db
        .selectFrom("shipments")
        .selectAll()
        .orderBy("shipment_id")
        .limit(limit + 1);
      if (query.orderId) select = select.where("order_id", "=", query.orderId);
      if (statuses && statuses.length > 0) select = select.where("status", "in", statuses);
      const after = decodeQueryCursor(query.cursor, filters, isShipmentPosition);
      if (after) select = select.where("shipment_id", ">", after.id);
      const page = pageOf(await select.execute(), { limit, filters, positionOf: (row) => ({ id: row.shipment_id }) });
      return { status: 200, body: { ...page, items: page.items.map(toShipment) } };
    },

    getShipment: async ({ path, principal }) => ({
      status: 200,
      body: toShipment(await visibleShipment(path.shipmentId, principal)),
    }),

    getShipmentTracking: async ({ path, principal }) => {
      const row = await visibleShipment(path.shipmentId, principal);
      const events = await db
        .selectFrom("tracking_events")
        .selectAll()
        .where("shipment_id", "=", row.shipment_id)
        .orderBy("seq")
        // 100 lines in all: the opening line, which is not stored, and the first 99 stored after it.
        .limit(99)
        .execute();
      return { status: 200, body: toTracking(row, events) };
    },

    pickShipment: async ({ path, body, principal }) => {
      requireAdmin(principal, "Picking a shipment");
      return { status: 200, body: toShipment(await shipments.step(path.shipmentId, "pick", body)) };
    },

    packShipment: async ({ path, body, principal }) => {
      requireAdmin(principal, "Packing a shipment");
      return { status: 200, body: toShipment(await shipments.step(path.shipmentId, "pack", body)) };
    },

    shipShipment: async ({ path, body, principal }) => {
      requireAdmin(principal, "Shipping a shipment");
      return { status: 200, body: toShipment(await shipments.step(path.shipmentId, "ship", body)) };
    },

    deliverShipment: async ({ path, body, principal }) => {
      requireAdmin(principal, "Recording a delivery");
      return { status: 200, body: toShipment(await shipments.step(path.shipmentId, "deliver", body)) };
    },

    requestReturn: async ({ body, principal }) => {
      const row = await returns.request(body, principal);
      return { status: 201, body: toReturn(row), headers: { location: `/returns/${row.return_id}` } };
    },

    getReturn: async ({ path, principal }) => ({
      status: 200,
      body: toReturn(await returns.visible(path.returnId, principal)),
    }),

    receiveReturn: async ({ path, body, principal }) => {
      requireAdmin(principal, "Receiving a return");
      return { status: 200, body: toReturn(await returns.receive(path.returnId, body)) };
    },
  };
}
